// Shared by the delivery tests: running fhir-adapter, writing a configuration for the
// peers, and what the peers must hold afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADAPTER = process.env.FHIR_ADAPTER;
if (!ADAPTER) throw new Error('FHIR_ADAPTER must name the fhir-adapter executable');

export const NOTIFICATION_TASK =
  "entry.resource.ofType(Task).where(meta.profile contains 'https://fhir.tsb-adapter.no/StructureDefinition/tsb-notification-task')";

/** The recommended routes of docs/configuration.md. */
export function routes() {
  return [
    { name: 'everything to the health trust', to: 'hospital' },
    {
      name: 'notifications to the municipal party notified, by its HER-id',
      when: `${NOTIFICATION_TASK}.exists()`,
      toHerId: `${NOTIFICATION_TASK}.owner.resolve().identifier.where(system = 'urn:oid:2.16.578.1.12.4.1.2').value`,
    },
    {
      name: "individual plans to the patient's municipality",
      kinds: ['individual-plan'],
      toMunicipality:
        "entry.resource.ofType(Patient).extension('https://fhir.tsb-adapter.no/StructureDefinition/municipality').value.code",
    },
  ];
}

/** Writes adapter.json into `folder` for a hospital and a municipal (Bergen, 4601) peer. */
export function writeConfig(folder, { hospital, municipal, delivery = {}, credentials, hospitalAuth, municipalAuth }) {
  const config = {
    outbox: { path: 'outbox.db' },
    delivery: {
      // Generous: a loaded 2-core CI machine must not turn a slow answer into a retry the
      // exact counts in the tests do not expect. The fault test sets its own, short one.
      timeoutSeconds: 30,
      connectTimeoutSeconds: 5,
      retry: { initialDelaySeconds: 0.05, maxDelaySeconds: 0.5, multiplier: 2, jitter: 0.5 },
      ...delivery,
      retry: { initialDelaySeconds: 0.05, maxDelaySeconds: 0.5, multiplier: 2, jitter: 0.5, ...delivery.retry },
    },
    ...(credentials ? { credentials } : {}),
    endpoints: [
      { id: 'hospital', baseUrl: hospital.baseUrl, ...(hospitalAuth ? { credentials: hospitalAuth } : {}) },
      {
        id: 'bergen',
        baseUrl: municipal.baseUrl,
        municipalities: ['4601'],
        herIds: ['102834', '102846'],
        ...(municipalAuth ? { credentials: municipalAuth } : {}),
      },
    ],
    routes: routes(),
  };
  const path = join(folder, 'adapter.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** Runs fhir-adapter to completion. */
export function adapter(args, options = {}) {
  const result = spawnSync(ADAPTER, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...options });
  if (result.error) throw result.error;
  return result;
}

export function jsonLines(text) {
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}

/** A running `deliver` process that can be killed. */
export function startDeliver(configPath) {
  const child = spawn(ADAPTER, ['deliver', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdout.resume();
  const exited = once(child, 'exit');
  return {
    child,
    log: () => stderr,
    async kill(signal = 'SIGKILL') {
      child.kill(signal);
      const [code, sig] = await exited;
      return { code, signal: sig };
    },
  };
}

/**
 * What each server must hold once delivery is done, from the Bundles `fhir-adapter map`
 * makes of the documents (mapped independently of the delivery path): one resource per
 * conditional request (Type|system|value) and the Provenance of each document by id.
 */
export function expectedResources(documents) {
  const mapped = adapter(['map', ...documents]);
  if (mapped.status !== 0) throw new Error(`map failed: ${mapped.stderr}`);
  const keys = new Map(); // document -> Set of keys
  for (const line of jsonLines(mapped.stdout)) {
    const set = new Set();
    for (const entry of line.bundle.entry) {
      const { method, url, ifNoneExist } = entry.request;
      const type = entry.resource.resourceType;
      const condition = method === 'POST' ? ifNoneExist : url.includes('?') ? url.slice(url.indexOf('?') + 1) : null;
      if (condition) {
        if (!condition.startsWith('identifier=')) throw new Error(`unexpected condition ${condition}`);
        set.add(`${type}|${decodeURIComponent(condition.slice('identifier='.length))}`);
      } else {
        set.add(url); // Provenance/<uuid>
      }
    }
    keys.set(line.file, set);
  }
  return keys;
}

/**
 * Compares a peer's resources with the expected keys: every expected key held by exactly
 * one resource, and no resource that no key accounts for.
 */
export function compare(resources, expected) {
  const byKey = new Map();
  const add = (key, resource) => {
    if (!byKey.has(key)) byKey.set(key, new Set());
    byKey.get(key).add(`${resource.resourceType}/${resource.id}`);
  };
  for (const resource of resources) {
    add(`${resource.resourceType}/${resource.id}`, resource);
    for (const identifier of [].concat(resource.identifier ?? [])) {
      add(`${resource.resourceType}|${identifier.system}|${identifier.value}`, resource);
    }
  }
  const missing = [];
  const duplicated = [];
  const accounted = new Set();
  for (const key of expected) {
    const holders = byKey.get(key);
    if (!holders) missing.push(key);
    else if (holders.size > 1) duplicated.push(`${key} ×${holders.size}`);
    for (const holder of holders ?? []) accounted.add(holder);
  }
  // What the consent stage adds (docs/consent.md): AuditEvents of its decisions, and one
  // hpl § 10a Task per minor relative, which must never be duplicated.
  const obligations = new Map();
  for (const resource of resources) {
    const reference = `${resource.resourceType}/${resource.id}`;
    if (resource.resourceType === 'AuditEvent') accounted.add(reference);
    for (const identifier of [].concat(resource.identifier ?? [])) {
      if (resource.resourceType === 'Task' && identifier.system === CONSENT_OBLIGATION) {
        obligations.set(identifier.value, (obligations.get(identifier.value) ?? 0) + 1);
        accounted.add(reference);
      }
    }
  }
  for (const [value, count] of obligations) if (count > 1) duplicated.push(`Task|${CONSENT_OBLIGATION}|${value} ×${count}`);
  const unexpected = resources
    .map((r) => `${r.resourceType}/${r.id}`)
    .filter((reference) => !accounted.has(reference));
  return { resources: resources.length, identifiers: expected.size, missing, duplicated, unexpected };
}

const CONSENT_OBLIGATION = 'https://fhir.tsb-adapter.no/NamingSystem/consent-obligation';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once some process holds the flock on `path` (Linux /proc/locks), so a test
 *  knows a worker has started without sleeping for a guessed time. */
export async function waitForLock(path, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const inode = statSync(path).ino;
      if (readFileSync('/proc/locks', 'utf8').split('\n').some((line) => line.includes('FLOCK') && line.includes(`:${inode} `))) {
        return;
      }
    } catch {
      // not created yet
    }
    await sleep(20);
  }
  throw new Error(`nobody took the lock ${path}`);
}
