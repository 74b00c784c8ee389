# adapter_stage(NAME SOURCES a.cc b.cc TESTS a_test.cc b_test.cc DEPS target...)
#
# One static library per pipeline stage (adapter_NAME) and, beside it, one GoogleTest
# binary (NAME_test) built from the x_test.cc files that sit next to each x.cc.
# Headers are included as "adapter/STAGE/x.h" from the project root.
set(ADAPTER_WARNINGS -Wall -Wextra -Werror -Wpedantic -Wshadow -Wnon-virtual-dtor
                     -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wconversion
                     -Wsign-conversion -Wimplicit-fallthrough
                     # GCC 12 reports false -Wrestrict on std::string concatenation at -O3
                     # (GCC bug 105329); the libstdc++ code it points at is correct.
                     -Wno-restrict)

function(adapter_warnings target)
  target_compile_options(${target} PRIVATE ${ADAPTER_WARNINGS})
endfunction()

function(adapter_stage name)
  cmake_parse_arguments(ARG "" "" "SOURCES;TESTS;DEPS;TEST_DEPS" ${ARGN})
  add_library(adapter_${name} STATIC ${ARG_SOURCES})
  target_include_directories(adapter_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(adapter_${name} PUBLIC ${ARG_DEPS})
  adapter_warnings(adapter_${name})
  if(ADAPTER_BUILD_TESTS AND ARG_TESTS)
    add_executable(${name}_test ${ARG_TESTS})
    target_link_libraries(${name}_test PRIVATE adapter_${name} ${ARG_TEST_DEPS} GTest::gmock GTest::gtest_main)
    target_compile_definitions(${name}_test PRIVATE ADAPTER_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    adapter_warnings(${name}_test)
    add_test(NAME unit.${name} COMMAND ${name}_test --gtest_brief=1)
  endif()
endfunction()
