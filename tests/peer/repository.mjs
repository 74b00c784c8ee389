// MemoryRepository with a durable journal, atomic transactions and optional validation.
//
// MemoryRepository keeps two plain Maps: `resources` (type -> id -> current version) and
// `history` (type -> id -> [versions, oldest first]). Its createResource() keeps a
// caller-supplied id, meta.versionId and meta.lastUpdated, so replaying a journaled
// version through it restores the exact same ids, versionIds and timestamps.
// updateResource() and patchResource() both end in this.createResource(), so overriding
// createResource() and deleteResource() sees every write the router can make.
import fs from 'node:fs';
import { deepClone, validateResource } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';

export class JournaledRepository extends MemoryRepository {
  #journalPath;
  #validate;
  #transactionDepth = 0;
  #pendingOps = [];
  // "Type/id" -> state before the open transaction first touched it.
  #undo = new Map();

  constructor({ journalPath, validate }) {
    super();
    this.#journalPath = journalPath;
    this.#validate = validate;
  }

  /** Restores the journaled state; call once before serving. */
  async load() {
    if (this.#journalPath) {
      await this.#replayJournal();
      fs.appendFileSync(this.#journalPath, ''); // fail now, not on the first write, if unwritable
    }
  }

  // Each write runs as a transaction of its own unless one is open, so a write whose
  // journal append fails is undone instead of living on in memory only.
  async createResource(resource) {
    return this.withTransaction(async () => {
      const incoming = deepClone(resource);
      // The server owns version metadata; a client-sent versionId must not be stored
      // (MemoryRepository would keep it as is).
      if (incoming.meta) {
        delete incoming.meta.versionId;
        delete incoming.meta.lastUpdated;
        if (Object.keys(incoming.meta).length === 0) {
          delete incoming.meta;
        }
      }
      if (this.#validate) {
        validateResource(incoming); // throws an OperationOutcomeError (400) on errors
      }
      incoming.id ??= this.generateId();
      this.#rememberForUndo(incoming.resourceType, incoming.id);
      const stored = await super.createResource(incoming);
      this.#pendingOps.push({ op: 'put', resource: stored });
      return stored;
    });
  }

  async deleteResource(resourceType, id) {
    return this.withTransaction(async () => {
      this.#rememberForUndo(resourceType, id);
      await super.deleteResource(resourceType, id);
      this.#pendingOps.push({ op: 'delete', resourceType, id });
    });
  }

  // MemoryRepository.search runs matchesSearchRequest (FHIRPath per resource) over every
  // resource of the type, which made each conditional create cost O(resources) FHIRPath
  // evaluations: a few thousand resources slowed the peer to seconds per transaction. For
  // the searches conditional requests make (one `identifier=system|value` filter), only
  // resources carrying that value are handed to Medplum's own matcher, so the result is the
  // same and the cost is a plain scan.
  async search(searchRequest) {
    const filters = searchRequest.filters ?? [];
    const only = filters.length === 1 ? filters[0] : undefined;
    if (!only || only.code !== 'identifier' || (only.operator && only.operator !== 'eq') ||
        typeof only.value !== 'string' || only.value.includes(',')) {
      return super.search(searchRequest);
    }
    const wanted = only.value.slice(only.value.indexOf('|') + 1).toLowerCase();
    const all = this.resources.get(searchRequest.resourceType);
    if (!all) {
      return super.search(searchRequest);
    }
    const candidates = new Map();
    for (const [id, resource] of all) {
      // Bundle.identifier is a single Identifier; everywhere else it is an array.
      const identifiers = [].concat(resource.identifier ?? []);
      if (identifiers.some((identifier) => identifier?.value?.toLowerCase() === wanted)) {
        candidates.set(id, resource);
      }
    }
    // Medplum's search reads this.resources; run it over the candidates only.
    const saved = this.resources;
    this.resources = new Map([[searchRequest.resourceType, candidates]]);
    try {
      return await super.search(searchRequest);
    } finally {
      this.resources = saved;
    }
  }

  // MemoryRepository.readHistory reverses its stored array in place, so every other call
  // returned the versions in the opposite order; this reads a copy instead (newest first).
  async readHistory(resourceType, id) {
    await this.readResource(resourceType, id);
    const versions = [...(this.history.get(resourceType)?.get(id) ?? [])].reverse();
    return {
      resourceType: 'Bundle',
      type: 'history',
      ...(versions.length ? { entry: versions.map((version) => ({ resource: deepClone(version) })) } : undefined),
    };
  }

  // MemoryRepository runs the callback without isolation or rollback, which makes a
  // failed transaction leave its earlier entries applied. Here the outermost transaction
  // commits all of its writes to the journal as one line, or undoes them all (also when
  // that append fails).
  // Callers must not run two transactions concurrently (the server serializes requests).
  async withTransaction(callback) {
    const outermost = this.#transactionDepth === 0;
    this.#transactionDepth++;
    try {
      const result = await callback(undefined);
      if (outermost) {
        this.#appendToJournal(this.#pendingOps);
      }
      return result;
    } catch (err) {
      if (outermost) {
        this.#rollback();
      }
      throw err;
    } finally {
      this.#transactionDepth--;
      if (outermost) {
        this.#pendingOps = [];
        this.#undo.clear();
      }
    }
  }

  /** Current versions of every resource, in insertion order. */
  currentResources() {
    const all = [];
    for (const byId of this.resources.values()) {
      for (const resource of byId.values()) {
        all.push(deepClone(resource));
      }
    }
    return all;
  }

  // Synchronous, so a write is on disk (in the page cache, which survives SIGKILL)
  // before the HTTP response for it is sent. One line per commit keeps a transaction
  // whole in the journal: a torn last line is dropped on replay.
  #appendToJournal(ops) {
    if (!this.#journalPath || ops.length === 0) {
      return;
    }
    fs.appendFileSync(this.#journalPath, JSON.stringify({ at: new Date().toISOString(), ops }) + '\n');
  }

  #rememberForUndo(resourceType, id) {
    const key = `${resourceType}/${id}`;
    if (this.#undo.has(key)) {
      return;
    }
    this.#undo.set(key, {
      resourceType,
      id,
      current: this.resources.get(resourceType)?.get(id),
      historyLength: this.history.get(resourceType)?.get(id)?.length ?? 0,
    });
  }

  #rollback() {
    for (const { resourceType, id, current, historyLength } of this.#undo.values()) {
      if (current) {
        this.resources.get(resourceType).set(id, current);
      } else {
        this.resources.get(resourceType)?.delete(id);
      }
      const versions = this.history.get(resourceType)?.get(id);
      if (versions) {
        versions.length = historyLength;
      }
    }
  }

  async #replayJournal() {
    if (!fs.existsSync(this.#journalPath)) {
      return;
    }
    const data = fs.readFileSync(this.#journalPath);
    // Each commit is written with one append ending in '\n'; bytes after the last
    // newline are a write torn by a kill, never acknowledged to a client.
    const completeLength = data.lastIndexOf(0x0a) + 1;
    const lines = data.subarray(0, completeLength).toString('utf8').split('\n');
    lines.pop();
    for (const [index, line] of lines.entries()) {
      let commit;
      try {
        commit = JSON.parse(line);
      } catch {
        throw new Error(`Corrupt line ${index + 1} in journal ${this.#journalPath}`);
      }
      for (const op of commit.ops) {
        await this.#applyJournaledOp(op);
      }
    }
    if (completeLength < data.length) {
      // Drop the torn write so later appends start on a fresh line.
      fs.truncateSync(this.#journalPath, completeLength);
    }
  }

  async #applyJournaledOp(op) {
    // Calls MemoryRepository directly: no validation, no re-journaling, metadata kept.
    if (op.op === 'put') {
      await super.createResource(op.resource);
    } else if (op.op === 'delete') {
      await super.deleteResource(op.resourceType, op.id);
    } else {
      throw new Error(`Unknown journal op ${JSON.stringify(op.op)}`);
    }
  }
}
