// One-shot fault queue plus an optional seeded random fault source.
// A fault is a plain object:
//   { status: 500|502|503|..., retryAfter?: seconds, retryAfterDate?: bool,
//     delayMs?: ms, afterApply?: bool, drop?: bool, count?: n }
// See README.md for what each field does.

const FAULT_KEYS = new Set(['status', 'retryAfter', 'retryAfterDate', 'delayMs', 'afterApply', 'drop', 'count']);

export class FaultInjector {
  #queue = []; // [{ fault, remaining }]
  #random; // { rate, kinds, nextFloat }

  /** Appends faults; throws an Error naming the first invalid one. */
  enqueue(faults) {
    if (!Array.isArray(faults)) {
      throw new Error('"faults" must be an array');
    }
    const checked = faults.map((fault, index) => checkFault(fault, `faults[${index}]`));
    for (const fault of checked) {
      const { count = 1, ...rest } = fault;
      this.#queue.push({ fault: rest, remaining: count });
    }
    return this.#queue.length;
  }

  /** `{ rate, seed, kinds }`; rate 0 turns random faults off. Re-seeds every time. */
  setRandom(config) {
    if (typeof config !== 'object' || config === null) {
      throw new Error('body must be an object');
    }
    const { rate, seed = 1, kinds = [] } = config;
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw new Error('"rate" must be a number in [0, 1]');
    }
    if (!Number.isInteger(seed)) {
      throw new Error('"seed" must be an integer');
    }
    if (!Array.isArray(kinds) || (rate > 0 && kinds.length === 0)) {
      throw new Error('"kinds" must be a non-empty array when rate > 0');
    }
    const checkedKinds = kinds.map((kind, index) => checkFault(kind, `kinds[${index}]`));
    this.#random = rate > 0 ? { rate, kinds: checkedKinds, nextFloat: mulberry32(seed) } : undefined;
  }

  clear() {
    this.#queue = [];
    this.#random = undefined;
  }

  /**
   * The fault for the next FHIR request, or undefined. Queued faults go first; the
   * random source is drawn from only when the queue is empty, so a given seed yields
   * the same sequence for the same sequence of requests.
   */
  next() {
    const head = this.#queue[0];
    if (head) {
      head.remaining--;
      if (head.remaining === 0) {
        this.#queue.shift();
      }
      return head.fault;
    }
    if (this.#random) {
      const { rate, kinds, nextFloat } = this.#random;
      const hit = nextFloat() < rate;
      const choice = nextFloat();
      return hit ? kinds[Math.floor(choice * kinds.length)] : undefined;
    }
    return undefined;
  }
}

function checkFault(fault, where) {
  if (typeof fault !== 'object' || fault === null || Array.isArray(fault)) {
    throw new Error(`${where} must be an object`);
  }
  for (const key of Object.keys(fault)) {
    if (!FAULT_KEYS.has(key)) {
      throw new Error(`${where}: unknown field "${key}"`);
    }
  }
  const { status, retryAfter, delayMs, drop, count } = fault;
  if (status !== undefined && !(Number.isInteger(status) && status >= 400 && status <= 599)) {
    throw new Error(`${where}: "status" must be an integer 400..599`);
  }
  if (retryAfter !== undefined && !(Number.isInteger(retryAfter) && retryAfter >= 0)) {
    throw new Error(`${where}: "retryAfter" must be a non-negative integer (seconds)`);
  }
  if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0 && delayMs <= 600_000)) {
    throw new Error(`${where}: "delayMs" must be a number in [0, 600000]`);
  }
  if (count !== undefined && !(Number.isInteger(count) && count >= 1)) {
    throw new Error(`${where}: "count" must be a positive integer`);
  }
  for (const flag of ['drop', 'afterApply', 'retryAfterDate']) {
    if (fault[flag] !== undefined && typeof fault[flag] !== 'boolean') {
      throw new Error(`${where}: "${flag}" must be a boolean`);
    }
  }
  if (drop && status !== undefined) {
    throw new Error(`${where}: "drop" and "status" exclude each other`);
  }
  if (!drop && status === undefined && delayMs === undefined) {
    throw new Error(`${where}: needs "status", "drop" or "delayMs"`);
  }
  return fault;
}

// Small, well-known 32-bit PRNG: deterministic across runs and platforms.
function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
