// Delivery side by side with the peer: documents delivered per second, the adapter's CPU
// time per message (the `deliver` process, user + system) and the peer's own time per
// request (inside Medplum's router, measured by tests/peer/peer.mjs), as a ratio.
// Two peer set-ups: Medplum's router validating every resource (as Medplum's server does by
// default) and the bare in-memory router without validation (the cheapest server there is).
//   node bench/delivery.mjs BUILD_DIR [PATIENTS=125] [ROUNDS=3]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPeer } from '../tests/peer/fixture.mjs';
import { TEMPLATES, writeDocuments } from '../tests/exchange/documents.mjs';

const [build = 'build', patients = '125', rounds = '3'] = process.argv.slice(2);
process.env.FHIR_ADAPTER = join(build, 'adapter/cli/fhir-adapter');
const { writeConfig } = await import('../tests/exchange/support.mjs');
const adapter = process.env.FHIR_ADAPTER;

// CPU seconds (user + system) of one command, from bash's `time`.
function timed(args) {
  const script = `TIMEFORMAT='%U %S %R'; { time "$@" >/dev/null 2>/dev/null; } 2>&1`;
  const [user, system, real] = execFileSync('bash', ['-c', script, 'bash', adapter, ...args], { encoding: 'utf8' })
    .trim().split('\n').pop().split(' ').map(Number);
  return { cpu: user + system, real };
}

async function measure(validate) {
const results = [];
for (let round = 0; round < Number(rounds); ++round) {
  const folder = mkdtempSync(join(tmpdir(), 'bench-delivery-'));
  const hospital = await startPeer({ name: 'hospital', validate });
  const municipal = await startPeer({ name: 'kommune', validate });
  try {
    const config = writeConfig(folder, { hospital, municipal });
    const documents = writeDocuments(join(folder, 'documents'), Number(patients));
    const send = timed(['send', '--config', config, ...documents]);
    const deliver = timed(['deliver', '--config', config, '--once']);
    const stats = [await hospital.control.stats(), await municipal.control.stats()];
    const requests = stats.reduce((sum, s) => sum + s.requests, 0);
    const peerMs = stats.reduce((sum, s) => sum + s.handlerMs, 0);
    const messages = documents.length +
      documents.filter((p) => TEMPLATES.find((t) => p.endsWith(t.file)).municipal).length;
    if (requests !== messages) throw new Error(`expected ${messages} requests, the peers saw ${requests}`);
    results.push({
      documents: documents.length, messages,
      sendCpuMsPerDocument: (send.cpu * 1000) / documents.length,
      deliverCpuMsPerMessage: (deliver.cpu * 1000) / messages,
      peerMsPerRequest: peerMs / requests,
      messagesPerSecond: messages / deliver.real,
    });
  } finally {
    await hospital.stop();
    await municipal.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}
  const median = (key) => results.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  return {
    documents: results[0].documents, messages: results[0].messages, rounds: results.length,
    send: median('sendCpuMsPerDocument'), cpu: median('deliverCpuMsPerMessage'),
    peer: median('peerMsPerRequest'), rate: median('messagesPerSecond'),
  };
}

const first = await measure(true);
const second = await measure(false);
console.log(`${first.documents} documents → ${first.messages} messages to two peers (Medplum's router); medians of ${first.rounds} rounds`);
console.log(`accept (send: check, map, validate, route, commit)  ${first.send.toFixed(2)} ms CPU per document`);
for (const [label, r] of [['peer validating (Medplum default)', first], ['peer without validation', second]]) {
  console.log(`${label.padEnd(34)} ${r.rate.toFixed(0).padStart(4)} messages/s; adapter ${r.cpu.toFixed(3)} ms CPU per message; ` +
    `peer ${r.peer.toFixed(2)} ms per request; overhead ${((r.cpu / r.peer) * 100).toFixed(1)}% (goal ≤ 5%)`);
}
