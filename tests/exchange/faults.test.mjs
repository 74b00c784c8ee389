// The acceptance test of reliable delivery: 500 documents to a hospital and a municipal
// server (Medplum's FHIR router, tests/peer/) through server faults, a server killed and
// restarted, a server down at the start, and the adapter's delivery worker SIGKILLed over
// and over. Afterwards each server holds every resource exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPeer } from '../peer/fixture.mjs';
import { TEMPLATES, writeDocuments } from './documents.mjs';
import { adapter, compare, expectedResources, jsonLines, sleep, startDeliver, waitForLock, writeConfig } from './support.mjs';

const PATIENTS = 125; // × 4 documents = 500
const KILLS = 12;

// Seeded, so a failing run can be repeated exactly.
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

test('500 documents reach the right server exactly once through faults and kills', { timeout: 600_000 }, async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'delivery-faults-'));
  const peers = [];
  t.after(async () => {
    for (const peer of peers) await peer.stop().catch(() => {});
    rmSync(folder, { recursive: true, force: true });
  });
  const hospital = await startPeer({ name: 'hospital', data: join(folder, 'hospital.journal'), validate: false });
  const municipal = await startPeer({ name: 'kommune', data: join(folder, 'kommune.journal'), validate: false });
  peers.push(hospital, municipal);
  // A 2 s timeout, so answers delayed by 2.5 s are timeouts whose writes were applied.
  const config = writeConfig(folder, { hospital, municipal, delivery: { timeoutSeconds: 2, connectTimeoutSeconds: 1 } });
  const documents = writeDocuments(join(folder, 'documents'), PATIENTS);
  assert.equal(documents.length, 500);
  const next = random(20261122);
  const faultKinds = [
    { status: 500 },
    { status: 503 },
    { status: 502 },
    { status: 429, retryAfter: 1 },
    { delayMs: 2500 }, // slower than the 2 s timeout; the write is applied
    { status: 500, afterApply: true },
    { drop: true },
    { drop: true, afterApply: true },
  ];

  // The hospital's server is down when delivery starts.
  await hospital.stop();
  const first = adapter(['send', '--config', config, ...documents.slice(0, 200)]);
  assert.equal(first.status, 0, first.stderr);
  let worker = startDeliver(config);
  await sleep(1000);
  await hospital.restart();
  await hospital.control.random({ rate: 0.2, seed: 1, kinds: faultKinds });
  await municipal.control.random({ rate: 0.2, seed: 2, kinds: faultKinds });

  // The other 300 documents arrive while the worker runs; the worker is killed with SIGKILL
  // again and again, and the municipal server once, mid-delivery. Kills follow progress, not
  // the clock: each comes once the running worker has logged 15 more deliveries (a line is
  // written only after the outbox recorded it), so on a fast or a slow machine every kill
  // hits a worker at work, with messages still pending.
  const count = (state) => {
    const listed = adapter(['outbox', '--config', config, 'list', '--state', state, '--limit', '10000']);
    assert.equal(listed.status, 0, listed.stdout + listed.stderr);
    return jsonLines(listed.stdout).length;
  };
  const deliveredBy = (runner) => (runner.log().match(/^\S+ delivered message /gm) ?? []).length;
  const total = documents.length + documents.filter((path) => TEMPLATES.find((t2) => path.endsWith(t2.file)).municipal).length;
  let deliveredByKilled = 0;
  let kills = 0;
  const pendingAtKills = [];
  const rest = adapter(['send', '--config', config, ...documents.slice(200)]);
  assert.equal(rest.status, 0, rest.stderr);
  for (let round = 0; round < KILLS; ++round) {
    const deadline = Date.now() + 60_000;
    while (deliveredBy(worker) < 15) {
      assert.ok(Date.now() < deadline, `no progress before kill ${round + 1}: ${worker.log().slice(-1500)}`);
      await sleep(10);
    }
    await sleep(Math.floor(next() * 100));
    await worker.kill('SIGKILL');
    kills++;
    deliveredByKilled += deliveredBy(worker);
    pendingAtKills.push(total - deliveredByKilled);
    if (round === 5) {
      await municipal.kill();
      await sleep(300);
      await municipal.restart();
      await municipal.control.random({ rate: 0.2, seed: 3, kinds: faultKinds });
    }
    worker = startDeliver(config);
  }
  await sleep(500);
  // A graceful stop finishes the message in flight and exits 0 (once the worker is past
  // start-up, which is when it starts handling signals).
  await waitForLock(join(folder, 'outbox.db.worker.lock'));
  const stopped = await worker.kill('SIGTERM');
  assert.equal(stopped.code, 0, worker.log().slice(-2000));

  const beforeDrain = count('delivered');
  // Faults off; drain what is left.
  await hospital.control.clear();
  await municipal.control.clear();
  const drain = adapter(['deliver', '--config', config, '--once', '--max-wait', '120']);
  assert.equal(drain.status, 0, drain.stderr.slice(-3000));
  assert.equal(jsonLines(drain.stdout)[0].pending, 0);

  const listed = jsonLines(adapter(['outbox', '--config', config, 'list', '--limit', '10000']).stdout);
  const states = {};
  // The consent stage's AuditEvents travel as messages of kind audit beside the documents.
  for (const message of listed.filter((m) => m.kind !== 'audit')) states[message.state] = (states[message.state] ?? 0) + 1;
  assert.ok(listed.filter((m) => m.kind === 'audit').every((m) => m.state === 'delivered'), 'audit messages delivered');
  const municipalDocuments = documents.filter((path) => TEMPLATES.find((t2) => path.endsWith(t2.file)).municipal);
  assert.deepEqual(states, { delivered: documents.length + municipalDocuments.length },
    'every message delivered, none pending, no dead letters');
  const retried = listed.filter((message) => message.attempts > 1).length;

  const expected = expectedResources(documents);
  const union = (paths) => new Set(paths.flatMap((path) => [...expected.get(path)]));
  const results = {};
  for (const [peer, paths] of [[hospital, documents], [municipal, municipalDocuments]]) {
    const result = compare(await peer.control.resources(), union(paths));
    const stats = await peer.control.stats();
    results[peer === hospital ? 'hospital' : 'municipal'] = { ...result, faultsInjectedSinceRestart: stats.faultsInjected };
    assert.deepEqual(result.missing, [], 'no business identifier missing');
    assert.deepEqual(result.duplicated, [], 'no business identifier twice');
    assert.deepEqual(result.unexpected, [], 'no resource that no identifier accounts for');
  }
  const summary = {
    documents: documents.length,
    messages: listed.length,
    adapterKilled: kills,
    deliveredBeforeDrain: beforeDrain,
    pendingAtKills: pendingAtKills.join(' '),
    messagesRetried: retried,
    hospital: { resources: results.hospital.resources, identifiers: results.hospital.identifiers,
      missing: 0, duplicates: 0, faultsInjected: results.hospital.faultsInjectedSinceRestart },
    municipal: { resources: results.municipal.resources, identifiers: results.municipal.identifiers,
      missing: 0, duplicates: 0, faultsInjected: results.municipal.faultsInjectedSinceRestart },
  };
  t.diagnostic(`counts: ${JSON.stringify(summary)}`);
  console.log(`delivery under faults: ${JSON.stringify(summary)}`);
  assert.ok(kills >= 10);
  assert.ok(pendingAtKills.filter((pending) => pending > 0).length >= 10,
    `at least 10 kills hit a worker with work pending: ${pendingAtKills}`);

  // The comparison can fail: a second copy of a shared Organization is caught.
  const organization = (await hospital.control.resources(true)).find((r) => r.resourceType === 'Organization');
  const copy = { ...organization };
  delete copy.id;
  delete copy.meta;
  const posted = await fetch(`${hospital.baseUrl}/Organization`, {
    method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(copy),
  });
  assert.equal(posted.status, 201);
  const caught = compare(await hospital.control.resources(), union(documents));
  assert.ok(caught.duplicated.length >= 1);
  assert.equal(caught.duplicated.length, organization.identifier.filter((i) => [...union(documents)].includes(`Organization|${i.system}|${i.value}`)).length);
  assert.ok(retried > 0, 'the faults made some messages need more than one attempt');
});
