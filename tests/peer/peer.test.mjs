// Tests of the peer FHIR server itself (node --test tests/peer/).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { countByIdentifier, startPeer } from './fixture.mjs';

const FHIR_JSON = 'application/fhir+json';
const SYSTEM = 'urn:oid:1.2.40.0.34.99.1';

async function fhir(peer, method, relativePath, { body, headers = {}, signal } = {}) {
  const response = await fetch(`${peer.baseUrl}${relativePath}`, {
    method,
    headers: { Accept: FHIR_JSON, ...(body === undefined ? {} : { 'Content-Type': FHIR_JSON }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

function patient(value, extra = {}) {
  return { resourceType: 'Patient', identifier: [{ system: SYSTEM, value }], ...extra };
}

async function countOf(peer, resourceType, value) {
  return countByIdentifier(await peer.control.resources())[`${resourceType}|${SYSTEM}|${value}`] ?? 0;
}

function assertOperationOutcome(body) {
  assert.equal(body?.resourceType, 'OperationOutcome');
  assert.ok(body.issue.length > 0);
}

/** A transaction with a Patient, an Encounter and an Observation linked by urn:uuid references. */
function visitTransaction(tag) {
  const ids = { patient: crypto.randomUUID(), encounter: crypto.randomUUID(), observation: crypto.randomUUID() };
  const entry = (key, resource) => ({
    fullUrl: `urn:uuid:${ids[key]}`,
    resource,
    request: { method: 'POST', url: resource.resourceType, ifNoneExist: `identifier=${SYSTEM}|${resource.identifier[0].value}` },
  });
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      // Referencing entries first: the router must still resolve them.
      entry('observation', {
        resourceType: 'Observation',
        identifier: [{ system: SYSTEM, value: `${tag}-obs` }],
        status: 'final',
        code: { text: 'body weight' },
        subject: { reference: `urn:uuid:${ids.patient}` },
        encounter: { reference: `urn:uuid:${ids.encounter}` },
      }),
      entry('encounter', {
        resourceType: 'Encounter',
        identifier: [{ system: SYSTEM, value: `${tag}-enc` }],
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        subject: { reference: `urn:uuid:${ids.patient}` },
      }),
      entry('patient', patient(`${tag}-pat`)),
    ],
  };
}

describe('FHIR behaviour', () => {
  let peer;
  before(async () => {
    peer = await startPeer({ name: 'main' });
  });
  after(() => peer?.stop());

  it('creates, reads, updates and deletes with ETag, Last-Modified and Location', async () => {
    const clientMeta = { versionId: 'client-version', lastUpdated: '2001-01-01T00:00:00Z' };
    const created = await fhir(peer, 'POST', '/Patient', { body: patient('crud', { id: 'client-chosen', meta: clientMeta }) });
    assert.equal(created.status, 201);
    const { id, meta } = created.body;
    assert.notEqual(id, 'client-chosen', 'the id sent on create is ignored');
    assert.notEqual(meta.versionId, clientMeta.versionId, 'the server assigns versions');
    assert.notEqual(meta.lastUpdated, clientMeta.lastUpdated);
    assert.equal(created.headers.get('etag'), `W/"${meta.versionId}"`);
    assert.equal(created.headers.get('location'), `${peer.baseUrl}/Patient/${id}/_history/${meta.versionId}`);
    assert.equal(created.headers.get('last-modified'), new Date(meta.lastUpdated).toUTCString());
    assert.match(created.headers.get('content-type'), /^application\/fhir\+json/);

    const read = await fhir(peer, 'GET', `/Patient/${id}`);
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('etag'), `W/"${meta.versionId}"`);

    const updated = await fhir(peer, 'PUT', `/Patient/${id}`, {
      body: { ...read.body, gender: 'female' },
      headers: { 'If-Match': `W/"${meta.versionId}"` },
    });
    assert.equal(updated.status, 200);
    const newVersion = updated.body.meta.versionId;
    assert.notEqual(newVersion, meta.versionId);
    assert.equal(updated.headers.get('etag'), `W/"${newVersion}"`);
    assert.equal(updated.headers.get('location'), `${peer.baseUrl}/Patient/${id}/_history/${newVersion}`);

    const stale = await fhir(peer, 'PUT', `/Patient/${id}`, {
      body: { ...read.body, gender: 'male' },
      headers: { 'If-Match': `W/"${meta.versionId}"` },
    });
    assert.equal(stale.status, 412);
    assertOperationOutcome(stale.body);
    const bareStale = await fhir(peer, 'PUT', `/Patient/${id}`, {
      body: { ...read.body, gender: 'male' },
      headers: { 'If-Match': meta.versionId },
    });
    assert.equal(bareStale.status, 412, 'an unquoted If-Match is still checked');

    const oldVersion = await fhir(peer, 'GET', `/Patient/${id}/_history/${meta.versionId}`);
    assert.equal(oldVersion.status, 200);
    assert.equal(oldVersion.body.gender, undefined);
    for (let i = 0; i < 2; i++) {
      // MemoryRepository reverses its stored history on each read; the wrapper must not.
      const history = await fhir(peer, 'GET', `/Patient/${id}/_history`);
      assert.deepEqual(history.body.entry.map((e) => e.resource.meta.versionId), [newVersion, meta.versionId]);
    }

    const deleted = await fhir(peer, 'DELETE', `/Patient/${id}`);
    assert.equal(deleted.status, 200);
    assert.equal((await fhir(peer, 'GET', `/Patient/${id}`)).status, 404);

    const upserted = await fhir(peer, 'PUT', '/Patient/chosen-by-client', { body: patient('upsert', { id: 'chosen-by-client' }) });
    assert.equal(upserted.status, 201, 'update as create answers 201');
    assert.equal(upserted.body.id, 'chosen-by-client');
  });

  it('pages search results with links', async () => {
    for (const n of [1, 2, 3]) {
      assert.equal((await fhir(peer, 'POST', '/Patient', { body: patient(`page-${n}`, { gender: 'other' }) })).status, 201);
    }
    const first = await fhir(peer, 'GET', '/Patient?gender=other&_count=2');
    assert.equal(first.status, 200);
    assert.equal(first.body.total, 3);
    assert.equal(first.body.entry.length, 2);
    assert.match(first.body.entry[0].fullUrl, new RegExp(`^${peer.baseUrl}/Patient/`));
    const next = first.body.link.find((link) => link.relation === 'next');
    assert.ok(next, 'first page links to the next');
    const second = await fetch(next.url).then((r) => r.json());
    assert.equal(second.entry.length, 1);
    assert.equal(second.link.find((link) => link.relation === 'next'), undefined);
    assert.ok(second.link.find((link) => link.relation === 'previous'));

    const byIdentifier = await fhir(peer, 'GET', `/Patient?identifier=${encodeURIComponent(`${SYSTEM}|page-2`)}`);
    assert.equal(byIdentifier.body.total, 1);
    assert.equal((await fhir(peer, 'GET', '/Patient?_count=x')).status, 400);
  });

  it('serves the CapabilityStatement', async () => {
    const { status, body } = await fhir(peer, 'GET', '/metadata');
    assert.equal(status, 200);
    assert.equal(body.resourceType, 'CapabilityStatement');
    assert.equal(body.fhirVersion, '4.0.1');
    assert.ok(body.rest[0].resource.some((r) => r.type === 'Observation' && r.conditionalCreate));
  });

  it('conditional create (If-None-Exist) twice stores one resource', async () => {
    const headers = { 'If-None-Exist': `identifier=${SYSTEM}|cond-1` };
    const first = await fhir(peer, 'POST', '/Patient', { body: patient('cond-1'), headers });
    const second = await fhir(peer, 'POST', '/Patient', { body: patient('cond-1'), headers });
    assert.equal(first.status, 201);
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    assert.equal(await countOf(peer, 'Patient', 'cond-1'), 1);
  });

  it('a transaction with urn:uuid references POSTed twice stores each resource once, references resolved', async () => {
    const bundle = visitTransaction('visit-1');
    const first = await fhir(peer, 'POST', '', { body: bundle });
    assert.equal(first.status, 200);
    assert.equal(first.body.type, 'transaction-response');
    assert.deepEqual(first.body.entry.map((e) => e.response.status), ['201', '201', '201']);
    const [observation, encounter, createdPatient] = first.body.entry.map((e) => e.resource);
    assert.equal(observation.subject.reference, `Patient/${createdPatient.id}`);
    assert.equal(observation.encounter.reference, `Encounter/${encounter.id}`);
    assert.equal(encounter.subject.reference, `Patient/${createdPatient.id}`);
    const location = first.body.entry[2].response.location;
    assert.equal(location, `Patient/${createdPatient.id}/_history/${createdPatient.meta.versionId}`);
    assert.equal(first.body.entry[2].response.etag, `W/"${createdPatient.meta.versionId}"`);

    const second = await fhir(peer, 'POST', '', { body: bundle });
    assert.equal(second.status, 200);
    assert.deepEqual(second.body.entry.map((e) => e.response.status), ['200', '200', '200']);
    assert.deepEqual(
      second.body.entry.map((e) => e.resource.id),
      first.body.entry.map((e) => e.resource.id)
    );
    for (const [type, suffix] of [['Patient', 'pat'], ['Encounter', 'enc'], ['Observation', 'obs']]) {
      assert.equal(await countOf(peer, type, `visit-1-${suffix}`), 1, type);
    }
    const stored = await fhir(peer, 'GET', `/Observation/${observation.id}`);
    assert.equal(stored.body.subject.reference, `Patient/${createdPatient.id}`);
  });

  it('the same transaction POSTed concurrently still stores each resource once', async () => {
    const bundle = visitTransaction('visit-race');
    const answers = await Promise.all(Array.from({ length: 5 }, () => fhir(peer, 'POST', '', { body: bundle })));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200]);
    for (const [type, suffix] of [['Patient', 'pat'], ['Encounter', 'enc'], ['Observation', 'obs']]) {
      assert.equal(await countOf(peer, type, `visit-race-${suffix}`), 1, type);
    }
  });

  it('Prefer: return=minimal leaves the resources out of a transaction-response', async () => {
    const answer = await fhir(peer, 'POST', '', { body: visitTransaction('visit-minimal'), headers: { Prefer: 'return=minimal' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.type, 'transaction-response');
    assert.equal(answer.body.entry.length, 3);
    for (const entry of answer.body.entry) {
      assert.equal(entry.resource, undefined);
      assert.match(entry.response.status, /^201/);
      assert.ok(entry.response.etag);
    }
    const full = await fhir(peer, 'POST', '', { body: visitTransaction('visit-full') });
    assert.ok(full.body.entry.every((entry) => entry.resource));
  });

  it('conditional update in a transaction creates, then updates the same resource', async () => {
    const upsert = (gender) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: patient('upsert-tx', { gender }), request: { method: 'PUT', url: `Patient?identifier=${SYSTEM}|upsert-tx` } }],
    });
    const first = await fhir(peer, 'POST', '', { body: upsert('male') });
    assert.equal(first.status, 200);
    assert.equal(first.body.entry[0].response.status, '201');
    const second = await fhir(peer, 'POST', '', { body: upsert('female') });
    assert.equal(second.body.entry[0].response.status, '200');
    assert.equal(second.body.entry[0].resource.id, first.body.entry[0].resource.id);
    const resources = (await peer.control.resources(true)).filter((r) => r.identifier?.[0]?.value === 'upsert-tx');
    assert.equal(resources.length, 1);
    assert.equal(resources[0].gender, 'female');
  });

  it('a failing transaction applies nothing', async () => {
    const bundle = visitTransaction('visit-bad');
    bundle.entry.push({ resource: { resourceType: 'Observation' }, request: { method: 'POST', url: 'Observation' } });
    const { status, body } = await fhir(peer, 'POST', '', { body: bundle });
    assert.equal(status, 400);
    assertOperationOutcome(body);
    assert.equal(await countOf(peer, 'Patient', 'visit-bad-pat'), 0);
    assert.equal(await countOf(peer, 'Encounter', 'visit-bad-enc'), 0);
  });

  it('fails a transaction whose entries identify the same resource', async () => {
    const twice = visitTransaction('visit-twice');
    twice.entry.push({ ...twice.entry[2], fullUrl: `urn:uuid:${crypto.randomUUID()}` });
    const { status, body } = await fhir(peer, 'POST', '', { body: twice });
    assert.equal(status, 400);
    assert.match(body.issue[0].details.text, /identify the same resource/);
    assert.equal(await countOf(peer, 'Patient', 'visit-twice-pat'), 0);
  });

  it('accepts conditional transactions of more than 8 entries', async () => {
    const entry = Array.from({ length: 12 }, (_, n) => ({
      resource: patient(`big-${n}`),
      request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYSTEM}|big-${n}` },
    }));
    const { status } = await fhir(peer, 'POST', '', { body: { resourceType: 'Bundle', type: 'transaction', entry } });
    assert.equal(status, 200);
    assert.equal(await countOf(peer, 'Patient', 'big-11'), 1);
  });

  it('rejects invalid resources and bad requests with an OperationOutcome', async () => {
    const invalid = await fhir(peer, 'POST', '/Observation', { body: { resourceType: 'Observation', status: 'final' } });
    assert.equal(invalid.status, 400);
    assertOperationOutcome(invalid.body);
    assert.ok(invalid.body.issue.some((issue) => issue.expression?.includes('Observation.code')));

    const inTransaction = await fhir(peer, 'POST', '', {
      body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient', bogus: 1 }, request: { method: 'POST', url: 'Patient' } }] },
    });
    assert.equal(inTransaction.status, 400);
    assertOperationOutcome(inTransaction.body);

    const malformed = await fhir(peer, 'POST', '/Patient', { body: '{"resourceType": ' });
    assert.equal(malformed.status, 400);
    assertOperationOutcome(malformed.body);

    const unknownType = await fhir(peer, 'GET', '/Nonsense');
    assert.equal(unknownType.status, 404);
    assertOperationOutcome(unknownType.body);

    const tooLarge = await fhir(peer, 'POST', '/Patient', { body: `{"resourceType":"Patient","text":"${'x'.repeat(21 * 1024 * 1024)}"}` });
    assert.equal(tooLarge.status, 413);
    assertOperationOutcome(tooLarge.body);
  });
});

describe('fault injection', () => {
  let peer;
  before(async () => {
    peer = await startPeer({ name: 'faults' });
  });
  after(() => peer?.stop());

  it('answers queued statuses without touching the repository, in order, with counts', async () => {
    await peer.control.faults([{ status: 503, count: 2 }, { status: 502 }]);
    const statuses = [];
    for (let n = 0; n < 4; n++) {
      const answer = await fhir(peer, 'POST', '/Patient', { body: patient(`queued-${n}`) });
      statuses.push(answer.status);
      if (answer.status >= 500) {
        assertOperationOutcome(answer.body);
      }
    }
    assert.deepEqual(statuses, [503, 503, 502, 201]);
    const counts = countByIdentifier(await peer.control.resources());
    assert.deepEqual(Object.keys(counts).filter((key) => key.includes('queued-')), [`Patient|${SYSTEM}|queued-3`]);
  });

  it('sends Retry-After with 429, in seconds or as an HTTP date', async () => {
    await peer.control.faults([{ status: 429, retryAfter: 2 }, { status: 429, retryAfter: 3, retryAfterDate: true }]);
    const seconds = await fhir(peer, 'GET', '/Patient');
    assert.equal(seconds.status, 429);
    assert.equal(seconds.headers.get('retry-after'), '2');
    const dated = await fhir(peer, 'GET', '/Patient');
    assert.equal(dated.status, 429);
    const retryAt = Date.parse(dated.headers.get('retry-after'));
    assert.ok(retryAt > Date.now() && retryAt <= Date.now() + 4000, dated.headers.get('retry-after'));
  });

  it('applies a delayed write even when the client gave up waiting', async () => {
    await peer.control.faults([{ delayMs: 600 }]);
    await assert.rejects(
      fhir(peer, 'POST', '/Patient', { body: patient('slow'), signal: AbortSignal.timeout(150) }),
      { name: 'TimeoutError' }
    );
    assert.equal(await countOf(peer, 'Patient', 'slow'), 1);

    await peer.control.faults([{ delayMs: 200 }]);
    const started = Date.now();
    const answer = await fhir(peer, 'GET', '/metadata');
    assert.equal(answer.status, 200);
    assert.ok(Date.now() - started >= 190);
  });

  it('applies the write, then answers 500 when afterApply', async () => {
    await peer.control.faults([{ status: 500, afterApply: true }]);
    const answer = await fhir(peer, 'POST', '/Patient', { body: patient('applied-500') });
    assert.equal(answer.status, 500);
    assertOperationOutcome(answer.body);
    assert.equal(await countOf(peer, 'Patient', 'applied-500'), 1);
  });

  it('drops the connection before or after applying', async () => {
    await peer.control.faults([{ drop: true }, { drop: true, afterApply: true }]);
    await assert.rejects(fhir(peer, 'POST', '/Patient', { body: patient('dropped') }), TypeError);
    assert.equal(await countOf(peer, 'Patient', 'dropped'), 0);
    await assert.rejects(fhir(peer, 'POST', '/Patient', { body: patient('dropped-after') }), TypeError);
    assert.equal(await countOf(peer, 'Patient', 'dropped-after'), 1);
  });

  it('leaves the control API alone and clears on DELETE', async () => {
    await peer.control.faults([{ status: 503, count: 5 }]);
    await peer.control.stats(); // not faulted, and does not consume a fault
    assert.equal((await fhir(peer, 'GET', '/metadata')).status, 503);
    await peer.control.clear();
    assert.equal((await fhir(peer, 'GET', '/metadata')).status, 200);
  });

  it('random faults repeat for a seed', async () => {
    const run = async () => {
      await peer.control.random({ rate: 0.5, seed: 42, kinds: [{ status: 503 }, { status: 500 }] });
      const statuses = [];
      for (let n = 0; n < 20; n++) {
        statuses.push((await fhir(peer, 'GET', '/metadata')).status);
      }
      return statuses;
    };
    const first = await run();
    const second = await run();
    assert.deepEqual(second, first);
    assert.ok(first.includes(200) && first.includes(503) && first.includes(500), first.join());
    await peer.control.random({ rate: 0 });
    assert.equal((await fhir(peer, 'GET', '/metadata')).status, 200);
  });

  it('rejects malformed fault specs', async () => {
    await assert.rejects(peer.control.faults([{ status: 200 }]), /status/);
    await assert.rejects(peer.control.faults([{ nonsense: true }]), /unknown field/);
  });

  it('counts requests, statuses, faults, transactions and handler time', async () => {
    await peer.control.resetStats();
    await peer.control.faults([{ status: 503 }]);
    await fhir(peer, 'GET', '/Patient');
    await fhir(peer, 'POST', '', { body: visitTransaction('stats') });
    await fhir(peer, 'GET', '/Patient/missing');
    const stats = await peer.control.stats();
    assert.equal(stats.name, 'faults');
    assert.equal(stats.requests, 3);
    assert.deepEqual(stats.byStatus, { 200: 1, 404: 1, 503: 1 });
    assert.equal(stats.faultsInjected, 1);
    assert.equal(stats.transactions, 1);
    assert.equal(stats.tokenRequests, 0);
    assert.ok(stats.handlerMs > 0);
  });
});

describe('journal', () => {
  let peer;
  let directory;
  before(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-peer-'));
    peer = await startPeer({ name: 'durable', data: path.join(directory, 'journal.jsonl'), validate: false });
  });
  after(async () => {
    await peer?.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('survives SIGKILL and restart on the same port with identical ids and versions', async () => {
    const created = await fhir(peer, 'POST', '/Patient', { body: patient('durable-1') });
    await fhir(peer, 'PUT', `/Patient/${created.body.id}`, { body: { ...created.body, gender: 'male' } });
    const removed = await fhir(peer, 'POST', '/Patient', { body: patient('durable-gone') });
    await fhir(peer, 'DELETE', `/Patient/${removed.body.id}`);
    assert.equal((await fhir(peer, 'POST', '', { body: visitTransaction('durable') })).status, 200);
    // --no-validate: an Observation without code is accepted.
    assert.equal((await fhir(peer, 'POST', '/Observation', { body: { resourceType: 'Observation', status: 'final' } })).status, 201);
    const before = await peer.control.resources(true);

    await peer.kill();
    // A write torn by the kill (never acknowledged) must not stop the restart.
    fs.appendFileSync(path.join(directory, 'journal.jsonl'), '{"at":"2020-01-01","ops":[{"op":"pu');
    await peer.restart();

    assert.deepEqual(await peer.control.resources(true), before);
    const oldVersion = await fhir(peer, 'GET', `/Patient/${created.body.id}/_history/${created.body.meta.versionId}`);
    assert.equal(oldVersion.status, 200);
    assert.equal((await fhir(peer, 'GET', `/Patient/${removed.body.id}`)).status, 404);

    // Writes after the restart are journaled too.
    await fhir(peer, 'POST', '/Patient', { body: patient('durable-2') });
    const afterSecondRun = await peer.control.resources(true);
    await peer.kill();
    await peer.restart();
    assert.deepEqual(await peer.control.resources(true), afterSecondRun);
  });
});

describe('authorization', () => {
  const clientId = 'adapter-client';
  let peer;
  let directory;
  let rsaKey;
  let ecKey;

  function signAssertion({ alg = 'RS384', key = alg === 'RS384' ? rsaKey : ecKey, claims = {} } = {}) {
    const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: clientId, sub: clientId, aud: peer.tokenUrl, exp: now + 240, jti: crypto.randomUUID(), ...claims };
    const signingInput = `${encode({ alg, typ: 'JWT', kid: `${alg}-key` })}.${encode(payload)}`;
    const signature = crypto.sign('sha384', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  async function requestToken(assertion) {
    const response = await fetch(peer.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'system/*.write',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
    });
    return { status: response.status, body: await response.json() };
  }

  const withToken = (token) => ({ headers: { Authorization: `Bearer ${token}` } });

  before(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-peer-keys-'));
    rsaKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    ecKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const files = [['rsa.pem', rsaKey], ['ec.pem', ecKey]].map(([name, pair]) => {
      const file = path.join(directory, name);
      fs.writeFileSync(file, pair.publicKey.export({ type: 'spki', format: 'pem' }));
      return file;
    });
    rsaKey = rsaKey.privateKey;
    ecKey = ecKey.privateKey;
    peer = await startPeer({ name: 'auth', bearer: 'static-secret', smartClientId: clientId, smartPublicKeyFile: files, tokenTtl: 1 });
  });
  after(async () => {
    await peer?.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('requires the bearer token on FHIR requests but not on discovery', async () => {
    const missing = await fhir(peer, 'GET', '/Patient');
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get('www-authenticate'), /^Bearer/);
    assertOperationOutcome(missing.body);
    assert.equal((await fhir(peer, 'GET', '/Patient', withToken('wrong'))).status, 401);
    assert.equal((await fhir(peer, 'GET', '/Patient', withToken('static-secret'))).status, 200);
    assert.equal((await fhir(peer, 'GET', '/metadata')).status, 200);
  });

  it('advertises the token endpoint', async () => {
    const { status, body } = await fhir(peer, 'GET', '/.well-known/smart-configuration');
    assert.equal(status, 200);
    assert.equal(body.token_endpoint, peer.tokenUrl);
    assert.deepEqual(body.token_endpoint_auth_methods_supported, ['private_key_jwt']);
    assert.deepEqual(body.token_endpoint_auth_signing_alg_values_supported, ['RS384', 'ES384']);
  });

  it('issues tokens for good RS384 and ES384 assertions, usable until they expire', async () => {
    for (const alg of ['RS384', 'ES384']) {
      const { status, body } = await requestToken(signAssertion({ alg }));
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.token_type, 'bearer');
      assert.equal(body.expires_in, 1);
      assert.equal(body.scope, 'system/*.write');
      assert.equal((await fhir(peer, 'POST', '/Patient', { body: patient(`smart-${alg}`), ...withToken(body.access_token) })).status, 201);
    }
    const { body } = await requestToken(signAssertion());
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await fhir(peer, 'GET', '/Patient', withToken(body.access_token));
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get('www-authenticate'), /^Bearer/);
  });

  it('refuses bad assertions', async () => {
    const otherKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const now = Math.floor(Date.now() / 1000);
    const cases = {
      'bad signature': signAssertion({ alg: 'ES384', key: otherKey }),
      'wrong aud': signAssertion({ claims: { aud: `${peer.baseUrl}/token` } }),
      'expired exp': signAssertion({ claims: { exp: now - 10 } }),
      'exp too far ahead': signAssertion({ claims: { exp: now + 600 } }),
      'wrong iss': signAssertion({ claims: { iss: 'someone-else' } }),
    };
    for (const [name, assertion] of Object.entries(cases)) {
      const { status, body } = await requestToken(assertion);
      assert.equal(status, 401, name);
      assert.equal(body.error, 'invalid_client', name);
    }

    const once = signAssertion({ alg: 'ES384' });
    assert.equal((await requestToken(once)).status, 200);
    const replay = await requestToken(once);
    assert.equal(replay.status, 401);
    assert.match(replay.body.error_description, /jti/);
  });

  it('refuses an unknown token', async () => {
    const { status, headers } = await fhir(peer, 'GET', '/Patient', withToken('not-issued'));
    assert.equal(status, 401);
    assert.match(headers.get('www-authenticate'), /invalid_token/);
  });
});
