// fhir-adapter send / deliver / outbox against two Medplum peers (tests/peer/): routing,
// acceptance, dead letters and their retry, authorisation, one worker per outbox, giving up.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer } from '../peer/fixture.mjs';
import { writeDocuments } from './documents.mjs';
import { adapter, compare, expectedResources, jsonLines, startDeliver, waitForLock, writeConfig } from './support.mjs';

const JOURNEY = fileURLToPath(new URL('../../examples/journey/', import.meta.url));
const journey = (name) => join(JOURNEY, name);

function scratch(t, name) {
  const folder = mkdtempSync(join(tmpdir(), `exchange-${name}-`));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

describe('send, deliver and outbox', () => {
  let hospital;
  let municipal;
  before(async () => {
    hospital = await startPeer({ name: 'hospital' });
    municipal = await startPeer({ name: 'kommune' });
  });
  after(async () => {
    await hospital?.stop();
    await municipal?.stop();
  });

  test('documents go to the servers their routes name; resending accepts nothing new', async (t) => {
    const folder = scratch(t, 'routes');
    const config = writeConfig(folder, { hospital, municipal });
    const documents = [journey('01-referral.json'), journey('09-individual-plan-need-notified.json'),
      journey('11-individual-plan.json'), journey('19-epicrisis.json')];
    const sent = adapter(['send', '--config', config, ...documents]);
    assert.equal(sent.status, 0, sent.stderr);
    const lines = jsonLines(sent.stdout);
    assert.deepEqual(lines.map((l) => l.messages.map((m) => m.endpoint)),
      [['hospital'], ['hospital', 'bergen'], ['hospital', 'bergen'], ['hospital']]);
    assert.ok(lines.every((l) => l.accepted && l.messages.every((m) => !m.alreadyAccepted)));

    const again = jsonLines(adapter(['send', '--config', config, documents[0]]).stdout);
    assert.equal(again[0].messages[0].alreadyAccepted, true);
    assert.equal(again[0].messages[0].id, lines[0].messages[0].id);

    const drained = adapter(['deliver', '--config', config, '--once']);
    assert.equal(drained.status, 0, drained.stderr);
    // Six document messages, plus the consent stage's AuditEvents (kind audit) of each send.
    const audits = jsonLines(adapter(['outbox', '--config', config, 'list']).stdout).filter((m) => m.kind === 'audit');
    assert.deepEqual(jsonLines(drained.stdout)[0], { delivered: 6 + audits.length, retried: 0, dead: 0, pending: 0 });
    const expected = expectedResources(documents);
    const union = (paths) => new Set(paths.flatMap((p) => [...expected.get(p)]));
    const atHospital = compare(await hospital.control.resources(), union(documents));
    assert.deepEqual([atHospital.missing, atHospital.duplicated], [[], []]);
    const atMunicipality = compare(await municipal.control.resources(), union(documents.slice(1, 3)));
    assert.deepEqual([atMunicipality.missing, atMunicipality.duplicated, atMunicipality.unexpected], [[], [], []]);
  });

  test('an invalid or unroutable document is refused with its problems and nothing is queued', async (t) => {
    const folder = scratch(t, 'refused');
    const config = writeConfig(folder, { hospital, municipal });
    // Route the notification to a HER-id no endpoint serves.
    const settings = JSON.parse(readFileSync(config, 'utf8'));
    settings.endpoints[1].herIds = ['999999'];
    writeFileSync(config, JSON.stringify(settings));
    const invalid = join(folder, 'invalid.json');
    const referral = JSON.parse(readFileSync(journey('01-referral.json'), 'utf8'));
    referral.patient.identifier = '14868943973'; // wrong check digit
    writeFileSync(invalid, JSON.stringify(referral));
    const sent = adapter(['send', '--config', config, invalid, journey('09-individual-plan-need-notified.json'),
      journey('02-referral-assessment.json')]);
    assert.equal(sent.status, 1);
    const [bad, unroutable, good] = jsonLines(sent.stdout);
    assert.equal(bad.accepted, false);
    assert.ok(bad.outcome.issue.some((i) => i.expression?.[0] === 'patient.identifier'), JSON.stringify(bad.outcome));
    assert.equal(unroutable.accepted, false);
    assert.match(unroutable.outcome.issue[0].diagnostics, /no endpoint serves HER-id 102834/);
    assert.deepEqual(unroutable.messages, []);
    assert.equal(good.accepted, true);
    const listed = jsonLines(adapter(['outbox', '--config', config, 'list']).stdout);
    assert.deepEqual(listed.map((m) => m.documentId), ['HFV-FH-2027-0104417']);
  });

  test('a permanent failure is a dead letter with the server\'s OperationOutcome; retry delivers it', async (t) => {
    const folder = scratch(t, 'dead');
    const config = writeConfig(folder, { hospital, municipal });
    assert.equal(adapter(['send', '--config', config, journey('03-first-conversation.json')]).status, 0);
    await hospital.control.faults([{ status: 422 }]);
    const first = adapter(['deliver', '--config', config, '--once']);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(jsonLines(first.stdout)[0].dead, 1);
    const dead = jsonLines(adapter(['outbox', '--config', config, 'dead']).stdout);
    assert.equal(dead.length, 1);
    assert.equal(dead[0].state, 'dead');
    assert.match(dead[0].reason, /^HTTP 422/);
    assert.equal(dead[0].outcome.resourceType, 'OperationOutcome');
    assert.ok(dead[0].outcome.issue.length >= 1);

    const retried = adapter(['outbox', '--config', config, 'retry', String(dead[0].id)]);
    assert.equal(retried.status, 0, retried.stderr);
    assert.equal(jsonLines(retried.stdout)[0].state, 'pending');
    const second = adapter(['deliver', '--config', config, '--once']);
    assert.equal(jsonLines(second.stdout)[0].delivered, 1);
    assert.deepEqual(jsonLines(adapter(['outbox', '--config', config, 'dead']).stdout), []);
    const again = adapter(['outbox', '--config', config, 'retry', String(dead[0].id)]);
    assert.equal(again.status, 1, 'a delivered message is not a dead letter');
  });

  test('429 with Retry-After and 503 are retried, then delivered', async (t) => {
    const folder = scratch(t, 'retry');
    const config = writeConfig(folder, { hospital, municipal });
    assert.equal(adapter(['send', '--config', config, journey('06-basic-assessment.json')]).status, 0);
    await hospital.control.faults([{ status: 429, retryAfter: 1 }, { status: 503, count: 2 }]);
    const started = Date.now();
    const drained = adapter(['deliver', '--config', config, '--once']);
    assert.equal(drained.status, 0, drained.stderr);
    assert.deepEqual(jsonLines(drained.stdout)[0], { delivered: 1, retried: 3, dead: 0, pending: 0 });
    assert.ok(Date.now() - started >= 1000, 'waited for Retry-After');
    assert.match(drained.stderr, /HTTP 429/);
  });

  test('only one delivery worker runs per outbox', async (t) => {
    const folder = scratch(t, 'lock');
    const config = writeConfig(folder, { hospital, municipal });
    const running = startDeliver(config);
    await waitForLock(join(folder, 'outbox.db.worker.lock'));
    const second = adapter(['deliver', '--config', config, '--once']);
    assert.equal(second.status, 2);
    assert.match(second.stdout, /another delivery worker is running/);
    assert.equal((await running.kill('SIGTERM')).code, 0);
  });

  test('a message not delivered within giveUpAfterHours becomes a dead letter', async (t) => {
    const folder = scratch(t, 'give-up');
    // Nothing listens on port 1, and no test server can take it (ephemeral ports are high).
    const down = { baseUrl: 'http://127.0.0.1:1/fhir' };
    const config = writeConfig(folder, {
      hospital: down, municipal,
      delivery: { retry: { initialDelaySeconds: 0.05, maxDelaySeconds: 0.2, giveUpAfterHours: 0.0003 } },
    });
    assert.equal(adapter(['send', '--config', config, journey('07-follow-up-decision.json')]).status, 0);
    const drained = adapter(['deliver', '--config', config, '--once', '--max-wait', '10']);
    assert.equal(drained.status, 0, drained.stderr);
    const [dead] = jsonLines(adapter(['outbox', '--config', config, 'dead']).stdout);
    assert.match(dead.reason, /not delivered within .* h .*last failure: cannot connect/);
  });
});

describe('authorisation', () => {
  test('SMART Backend Services with RS384 and ES384, and a bearer token from a file', async (t) => {
    const folder = scratch(t, 'auth');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const write = (name, key, type) => {
      const path = join(folder, name);
      writeFileSync(path, key.export({ type, format: 'pem' }));
      return path;
    };
    const rsaPublic = write('rsa.pub.pem', rsa.publicKey, 'spki');
    const ecPublic = write('ec.pub.pem', ec.publicKey, 'spki');
    write('rsa.pem', rsa.privateKey, 'pkcs8');
    write('ec.pem', ec.privateKey, 'pkcs8');
    writeFileSync(join(folder, 'municipal.token'), 'kommune-secret-token\n');

    const hospital = await startPeer({ name: 'hospital', smartClientId: 'tsb-adapter', smartPublicKeyFile: [rsaPublic, ecPublic], tokenTtl: 60 });
    const municipal = await startPeer({ name: 'kommune', bearer: 'kommune-secret-token' });
    t.after(async () => {
      await hospital.stop();
      await municipal.stop();
    });
    for (const algorithm of ['RS384', 'ES384']) {
      const sub = join(folder, algorithm);
      const config = writeConfig(folder, {
        hospital, municipal,
        credentials: {
          trust: { type: 'smart-backend', tokenUrl: hospital.tokenUrl, clientId: 'tsb-adapter',
            scope: 'system/*.write', privateKeyFile: algorithm === 'RS384' ? 'rsa.pem' : 'ec.pem', algorithm },
          kommune: { type: 'bearer', tokenFile: 'municipal.token' },
        },
        hospitalAuth: 'trust',
        municipalAuth: 'kommune',
      });
      const settings = JSON.parse(readFileSync(config, 'utf8'));
      settings.outbox.path = `${sub}/outbox.db`;
      writeFileSync(config, JSON.stringify(settings));
      await hospital.control.resetStats();
      const docs = writeDocuments(join(sub, 'docs'), 2).filter((p) => /09-|02-/.test(p));
      assert.equal(adapter(['send', '--config', config, ...docs]).status, 0);
      const drained = adapter(['deliver', '--config', config, '--once', '--max-wait', '20']);
      assert.equal(drained.status, 0, drained.stderr);
      assert.deepEqual(jsonLines(drained.stdout)[0], { delivered: 6, retried: 0, dead: 0, pending: 0 }, drained.stderr);
      const stats = await hospital.control.stats();
      assert.equal(stats.tokenRequests, 1, `${algorithm}: one token for all requests`);
      assert.ok(!drained.stderr.includes('kommune-secret-token'), 'no secret in the log');
    }

    // A wrong bearer token is a permanent 401: a dead letter, and the token is not logged.
    writeFileSync(join(folder, 'municipal.token'), 'wrong-token\n');
    const config = join(folder, 'adapter.json');
    const docs = writeDocuments(join(folder, 'more'), 3).slice(-2);
    assert.equal(adapter(['send', '--config', config, docs[0]]).status, 0);
    const drained = adapter(['deliver', '--config', config, '--once', '--max-wait', '20']);
    assert.equal(drained.status, 0, drained.stderr);
    assert.equal(jsonLines(drained.stdout)[0].dead, 1);
    assert.ok(!drained.stderr.includes('wrong-token'));
  });

  test('a token written into the configuration is refused', (t) => {
    const folder = scratch(t, 'inline');
    const config = join(folder, 'adapter.json');
    writeFileSync(config, JSON.stringify({
      outbox: { path: 'o.db' },
      credentials: { x: { type: 'bearer', token: 'inline-secret' } },
      endpoints: [{ id: 'h', baseUrl: 'https://fhir.example.no', credentials: 'x' }],
      routes: [{ name: 'all', to: 'h' }],
    }));
    const result = adapter(['outbox', '--config', config, 'list']);
    assert.equal(result.status, 2);
    assert.match(result.stdout, /must not be written in the configuration/);
    assert.ok(!result.stdout.includes('inline-secret') && !result.stderr.includes('inline-secret'));
  });
});
