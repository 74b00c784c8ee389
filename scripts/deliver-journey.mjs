// Part of the main job: delivers the example journey to two local FHIR servers — Medplum's
// FHIR router (tests/peer/), standing in for the health trust and Bergen municipality —
// with the recommended configuration of docs/configuration.md, then shows what each holds.
//   node scripts/deliver-journey.mjs FHIR_ADAPTER
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer } from '../tests/peer/fixture.mjs';

process.env.FHIR_ADAPTER = process.argv[2];
// The journey is set in 2027: consent is evaluated as of its last day (docs/consent.md).
const CONSENT_TIME = ['--consent-time', '2027-12-31T12:00:00+01:00'];
const { adapter, jsonLines, writeConfig } = await import('../tests/exchange/support.mjs');
const journey = fileURLToPath(new URL('../examples/journey/', import.meta.url));
const documents = readdirSync(journey).filter((f) => f.endsWith('.json')).sort().map((f) => join(journey, f));

const folder = mkdtempSync(join(tmpdir(), 'journey-delivery-'));
const hospital = await startPeer({ name: 'hospital' });
const municipal = await startPeer({ name: 'kommune' });
let status = 0;
try {
  const config = writeConfig(folder, { hospital, municipal });
  const sent = adapter(['send', '--config', config, ...CONSENT_TIME, ...documents]);
  for (const line of jsonLines(sent.stdout)) {
    const where = line.messages.map((m) => m.endpoint).join(' + ') || 'refused';
    console.log(`accepted ${line.file.split('/').pop().padEnd(40)} → ${where}`);
  }
  const delivered = adapter(['deliver', '--config', config, '--once', '--max-wait', '60', ...CONSENT_TIME]);
  console.log(`deliver: ${delivered.stdout.trim()}`);
  for (const [name, peer] of [['health trust', hospital], ['Bergen municipality', municipal]]) {
    const count = {};
    for (const r of await peer.control.resources()) count[r.resourceType] = (count[r.resourceType] ?? 0) + 1;
    console.log(`${name} server now holds: ${Object.entries(count).map(([t, n]) => `${n} ${t}`).join(', ')}`);
  }
  status = sent.status || delivered.status;
} finally {
  await hospital.stop();
  await municipal.stop();
  rmSync(folder, { recursive: true, force: true });
}
process.exit(status);
