# Debian 12 packages only. Each find_package fails loudly when a package is missing;
# scripts/setup.sh installs them.

# RapidJSON 1.1 ships a config that only sets RAPIDJSON_INCLUDE_DIRS: wrap it in a target.
find_package(RapidJSON 1.1 REQUIRED CONFIG)
add_library(rapidjson INTERFACE)
target_include_directories(rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
# SSE2 is part of the x86-64 baseline; it speeds up whitespace skipping.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  target_compile_definitions(rapidjson INTERFACE RAPIDJSON_SSE2)
endif()
target_compile_definitions(rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)

find_package(CURL 7.88 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)

# Poco's DataPostgreSQL config expects a PostgreSQL::client target that CMake's
# FindPostgreSQL does not define: define it before asking for Poco.
find_package(PostgreSQL 15 REQUIRED)
if(NOT TARGET PostgreSQL::client)
  add_library(PostgreSQL::client INTERFACE IMPORTED)
  target_link_libraries(PostgreSQL::client INTERFACE PostgreSQL::PostgreSQL)
endif()
find_package(Poco 1.11 REQUIRED COMPONENTS
  Foundation Util JSON XML Net NetSSL Crypto JWT Data DataSQLite DataPostgreSQL)

find_package(fmt 9 REQUIRED)

if(ADAPTER_BUILD_TESTS)
  find_package(GTest 1.12 REQUIRED)
endif()
if(ADAPTER_BUILD_BENCH)
  find_package(benchmark 1.7 REQUIRED)
endif()
