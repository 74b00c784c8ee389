// Test helpers: start tests/peer/peer.mjs as a child process and talk to its control API.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const PEER_SCRIPT = fileURLToPath(new URL('./peer.mjs', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STDERR_TAIL_BYTES = 16 * 1024;

// Children still running when the test process exits are killed: on a normal exit, and
// on a terminating signal, which is then re-raised with its default action.
const runningChildren = new Set();
function killRunningChildren() {
  for (const child of runningChildren) {
    child.kill('SIGKILL');
  }
}
process.on('exit', killRunningChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killRunningChildren();
    process.kill(process.pid, signal);
  });
}

function peerArguments(options, port) {
  const args = ['--port', String(port ?? 0)];
  const add = (flag, value) => {
    if (value !== undefined && value !== null) {
      args.push(flag, String(value));
    }
  };
  add('--name', options.name);
  add('--data', options.data);
  add('--bearer', options.bearer);
  add('--smart-client-id', options.smartClientId);
  for (const file of [options.smartPublicKeyFile ?? []].flat()) {
    add('--smart-public-key', file);
  }
  add('--token-ttl', options.tokenTtl);
  if (options.validate === false) {
    args.push('--no-validate');
  }
  if (!options.verbose) {
    args.push('--quiet');
  }
  return args;
}

/** Spawns one peer process and resolves once it printed its listening line. */
async function spawnPeer(options, port) {
  const child = spawn(process.execPath, [PEER_SCRIPT, ...peerArguments(options, port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  runningChildren.add(child);
  const exited = once(child, 'exit').then(([code, signal]) => {
    runningChildren.delete(child);
    return { code, signal };
  });

  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => {
    if (options.verbose) {
      process.stderr.write(text);
    }
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL_BYTES);
  });

  let stdout = '';
  child.stdout.setEncoding('utf8');
  const listening = new Promise((resolve, reject) => {
    child.stdout.on('data', (text) => {
      stdout += text;
      const newline = stdout.indexOf('\n');
      if (newline !== -1) {
        try {
          resolve(JSON.parse(stdout.slice(0, newline)));
        } catch (err) {
          reject(new Error(`peer printed an unexpected first line: ${stdout.slice(0, newline)}`, { cause: err }));
        }
      }
    });
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`peer did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
  });
  const earlyExit = exited.then(({ code, signal }) => {
    throw new Error(`peer exited before listening (code ${code}, signal ${signal})`);
  });
  try {
    const { port: boundPort, baseUrl } = await Promise.race([listening, earlyExit, timeout]);
    return { child, exited, port: boundPort, baseUrl, stderr: () => stderrTail };
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    err.message += `\n--- peer stderr ---\n${stderrTail}`;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function controlRequest(origin, method, path, body) {
  const response = await fetch(`${origin}/$control${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = await response.json();
  if (!response.ok) {
    throw new Error(`control ${method} ${path} failed with ${response.status}: ${payload.error}`);
  }
  return payload;
}

/**
 * Starts a peer FHIR server.
 * @param {object} [options]
 * @param {string} [options.name] label in logs and stats
 * @param {string} [options.data] journal file (survives kill + restart)
 * @param {string} [options.bearer] static bearer token required on FHIR requests
 * @param {string} [options.smartClientId] SMART Backend Services client id
 * @param {string|string[]} [options.smartPublicKeyFile] PEM or JWKS file(s) of that client's keys
 * @param {number} [options.tokenTtl] lifetime of issued access tokens, seconds
 * @param {boolean} [options.validate] false turns resource validation off
 * @param {boolean} [options.verbose] forward the peer's request log to this process's stderr
 */
export async function startPeer(options = {}) {
  let current = await spawnPeer(options);
  const { port, baseUrl } = current;
  const origin = `http://127.0.0.1:${port}`;

  const stopWith = async (signal) => {
    if (current.child.exitCode === null && current.child.signalCode === null) {
      current.child.kill(signal);
    }
    return current.exited;
  };

  return {
    port,
    baseUrl,
    tokenUrl: `${origin}/auth/token`,
    control: {
      faults: (list) => controlRequest(origin, 'POST', '/faults', { faults: list }),
      random: (config) => controlRequest(origin, 'POST', '/random', config),
      clear: () => controlRequest(origin, 'DELETE', '/faults'),
      stats: () => controlRequest(origin, 'GET', '/stats'),
      resetStats: () => controlRequest(origin, 'POST', '/stats/reset'),
      resources: (full = false) => controlRequest(origin, 'GET', full ? '/resources?full=1' : '/resources'),
    },
    /** Last 16 KiB of the peer's stderr (its log, when verbose). */
    stderr: () => current.stderr(),
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
    /** Starts the peer again on the same port, options and journal; stops it first if running. */
    async restart() {
      await stopWith('SIGTERM');
      current = await spawnPeer(options, port);
    },
  };
}

/** Counts resources (as listed by control.resources()) per "Type|system|value" of each identifier. */
export function countByIdentifier(resources) {
  const counts = {};
  for (const { resourceType, identifier = [] } of resources) {
    for (const { system, value } of [].concat(identifier)) {
      const key = `${resourceType}|${system ?? ''}|${value ?? ''}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}
