// Consent end to end against Medplum peers (tests/peer/): a treatment-interruption notice
// queued for the partner while the patient's consent was in force is not delivered once
// a withdrawal has been accepted, and the denial is recorded as an AuditEvent that reaches
// the server too. The control run shows the same notice is delivered without the
// withdrawal, so the test can fail.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer } from '../peer/fixture.mjs';
import { adapter, jsonLines, writeConfig } from '../exchange/support.mjs';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const CONSENT = join(EXAMPLES, 'journey/04-consent-partner.json');
const INTERRUPTED = join(EXAMPLES, 'journey/12-treatment-interrupted.json');
const WITHDRAWAL = join(EXAMPLES, 'standalone/consent-directive-withdrawal.json');
// The journey is set in 2027: consent is evaluated as of its dates.
const AT = ['--consent-time', '2027-08-21T10:00:00+02:00'];
const PARTNER_NOTICE = 'HFV-FH-2027-0201388/notification-0';
const COORDINATOR_NOTICE = 'HFV-FH-2027-0201388/notification-1';

function scratch(t, name) {
  const folder = mkdtempSync(join(tmpdir(), `consent-${name}-`));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

async function tasksWith(peer, value) {
  const resources = await peer.control.resources(true);
  return resources.filter((r) => r.resourceType === 'Task' && [].concat(r.identifier ?? []).some((i) => i.value === value));
}

function send(config, ...documents) {
  const sent = adapter(['send', '--config', config, ...AT, ...documents]);
  assert.equal(sent.status, 0, sent.stderr);
  return jsonLines(sent.stdout);
}

function deliver(config) {
  const run = adapter(['deliver', '--config', config, '--once', '--max-wait', '60', ...AT]);
  assert.equal(run.status, 0, run.stderr);
  return run;
}

describe('consent withdrawal stops what is already queued', () => {
  const peers = {};
  before(async () => {
    for (const name of ['control', 'withdrawn', 'kommune']) peers[name] = await startPeer({ name });
  });
  after(async () => {
    for (const peer of Object.values(peers)) await peer.stop();
  });

  test('control: with the consent in force the partner notice is delivered', async (t) => {
    const config = writeConfig(scratch(t, 'control'), { hospital: peers.control, municipal: peers.kommune });
    const lines = send(config, CONSENT, INTERRUPTED);
    assert.ok(lines.every((l) => l.accepted));
    assert.equal(lines[1].outcome, undefined, 'nothing removed while the consent is in force');
    deliver(config);
    assert.equal((await tasksWith(peers.control, PARTNER_NOTICE)).length, 1);
  });

  test('notice queued, then withdrawal, then deliver: not delivered, denial audited', async (t) => {
    const config = writeConfig(scratch(t, 'withdrawn'), { hospital: peers.withdrawn, municipal: peers.kommune });
    const [consentLine, noticeLine] = send(config, CONSENT, INTERRUPTED);
    assert.ok(consentLine.accepted && noticeLine.accepted);
    assert.equal(noticeLine.outcome, undefined, 'the notice was permitted when it was queued');
    const queued = jsonLines(adapter(['outbox', '--config', config, 'list', '--state', 'pending']).stdout);
    assert.ok(queued.some((m) => m.documentId === 'HFV-FH-2027-0201388'), 'the notice is queued');

    const [withdrawalLine] = send(config, WITHDRAWAL);
    assert.ok(withdrawalLine.accepted);

    const run = deliver(config);
    assert.match(run.stderr, /consent: Notification Task addressed to a relative .* removed: general-information-only by rule consent-deny-relative .*HFV-SAMT-2027-0990 denies notify-treatment-interruption/);
    assert.equal((await tasksWith(peers.withdrawn, PARTNER_NOTICE)).length, 0, 'the partner notice was delivered');
    assert.equal((await tasksWith(peers.withdrawn, COORDINATOR_NOTICE)).length, 1, 'the rest of the message still goes');

    // The adapter's own audit trail: the denial at delivery, naming the withdrawal.
    const audit = jsonLines(adapter(['consent', '--config', config, 'audit']).stdout);
    const denial = audit.find((e) => e.outcome === '8' && e.outcomeDesc.startsWith('general-information-only (deliver)'));
    assert.ok(denial, JSON.stringify(audit.map((e) => e.outcomeDesc)));
    assert.equal(denial.subtype[0].code, 'AuthZ-Consent');
    assert.equal(denial.purposeOfEvent[0].coding[0].code, 'notify-treatment-interruption');
    assert.equal(denial.agent[0].who.identifier.value, '14868943972:09829124685');
    const withdrawn = denial.entity.find((e) => e.what.identifier?.value === 'HFV-SAMT-2027-0417');
    assert.ok(withdrawn, 'the withdrawn consent is named');
    assert.match(withdrawn.detail[0].valueString, /^withdrawn \(withdrawn by HFV-SAMT-2027-0990\)/);

    // …and it is delivered like any other resource.
    const onServer = (await peers.withdrawn.control.resources(true)).filter((r) => r.resourceType === 'AuditEvent');
    assert.ok(onServer.some((e) => e.outcomeDesc === denial.outcomeDesc), 'the denial AuditEvent reached the server');
  });
});
