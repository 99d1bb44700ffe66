/**
 * What `serve` shows, as plain JSON-serialisable objects: one method per page, computed from the
 * dump model on demand (the JSON API returns these as they are; pages.ts renders them). Nothing
 * here holds more than the model and a few cached answers: a page of the process table is a slice
 * of a row permutation, a process is decoded when asked for, sections are re-read by offset.
 */
import { allocatorModelFromDump } from '../alloc/from-dump.js';
import { summarizeByType, summarizeInstances, type InstanceSummary, type TypeSummary } from '../alloc/verdict.js';
import type { TriageReport } from '../dump/analyze/report-types.js';
import { processAt } from '../dump/process-table.js';
import { sectionLines } from '../dump/section-lines.js';
import { decodeProcess, messagePage, messageTerm, type PagedMessage } from '../dump/terms/index.js';
import type { ProcessDetail } from '../dump/terms/process-detail.js';
import { dataPath, type Dump, type EtsRecord, type NodeConnection, type PortRecord, type ProcessRecord } from '../dump/types.js';
import { triageDump } from '../usecases/triage.js';
import { ERLANG_VIEW, type SyntaxView } from '../elixir/view.js';
import { ProcessQueryCache, type ProcessQuery } from './process-query.js';

/** Rows a page may ask for at most. */
export const MAX_PAGE_ROWS = 1000;

export interface Page<T> {
  /** Rows matching (all of them, not only this page's). */
  total: number;
  offset: number;
  rows: T[];
}

export interface ProcessesPage extends Page<ProcessRecord> {
  query: ProcessQuery;
  /** Processes in the dump. */
  count: number;
}

export interface ProcessPage {
  detail: ProcessDetail;
  /** The process table's row, when the process is in it. */
  row?: ProcessRecord;
  messages: MessagesPage;
  /** What points at this process from elsewhere in the dump. */
  children: Page<string>;
  etsTables: EtsRecord[];
  ports: string[];
  timers: number;
  /** On an Elixir node (`--syntax`): the detail's names, shapes and terms in Elixir syntax (the raw ones stay). */
  elixir?: ProcessElixir;
}

/** A process page's texts in Elixir syntax, in the detail's order (shapes, dictionary, stack frames and registers). */
export interface ProcessElixir {
  name?: string;
  initialCall?: string;
  currentCall?: string;
  ancestors: string[];
  shapes: Array<{ shape: string; example: string }>;
  dictionary: Array<{ key: string; value: string }>;
  stack: Array<{ function?: string; returnTo?: string; yRegisters: string[] }>;
}

export interface MessagesPage {
  pid: string;
  /** `Message queue length`. */
  queueLength: number;
  offset: number;
  /** Each with its text and shape, and in Elixir syntax too (`elixir`) on an Elixir node. */
  messages: Array<Omit<PagedMessage, 'term' | 'seqToken'> & { elixir?: { text: string; shape: string } }>;
  more: boolean;
}

/** A section shown as its `Key: value` lines (timers, funs). */
export interface FieldsRow {
  id: string;
  fields: Array<{ key: string; value: string }>;
}

export interface AllocatorsPage {
  types: TypeSummary[];
  instances: InstanceSummary[];
}

/** A message printed in a page (a timer's, a queued one) is cut at this many characters. */
const MESSAGE_CHARS = 500;

/** Clamps paging parameters from a request. */
export function paging(offset: number, limit: number, defaultLimit = 100): { offset: number; limit: number } {
  const o = Number.isFinite(offset) && offset > 0 ? Math.floor(offset) : 0;
  const l = Number.isFinite(limit) && limit > 0 ? Math.min(Math.floor(limit), MAX_PAGE_ROWS) : defaultLimit;
  return { offset: o, limit: l };
}

export class ServeSession {
  private triage?: TriageReport;
  private readonly queries: ProcessQueryCache;

  /** How names and terms print (`--syntax`): Erlang's, or Elixir's with the report's `elixir` fields. */
  readonly view: SyntaxView;

  constructor(readonly dump: Dump, view: SyntaxView = ERLANG_VIEW) {
    this.queries = new ProcessQueryCache(dump.processes);
    this.view = view;
  }

  /** The triage report (findings, memory, outliers), made on the first ask and kept. */
  overview(): TriageReport {
    this.triage ??= triageDump(this.dump, { top: 10, ...(this.view.elixir ? { elixir: this.view.elixir } : {}) });
    return this.triage;
  }

  processes(query: ProcessQuery, offset: number, limit: number): ProcessesPage {
    const t = this.dump.processes;
    const rows = this.queries.rows(query);
    const page = rows.subarray(offset, offset + limit);
    return { query, count: t.count, total: rows.length, offset, rows: Array.from(page, (i) => processAt(t, i)) };
  }

  /** The row of a pid in the process table, or -1. */
  rowOf(pid: string): number {
    return this.dump.processes.pid.find(pid);
  }

  hasProcess(pid: string): boolean {
    return this.dump.index.get('proc', pid) !== undefined;
  }

  /** One process decoded (record, stack, dictionary, shapes, binaries) and what refers to it. */
  process(pid: string, opts: { sharing?: boolean; messagesPerPage?: number } = {}): ProcessPage {
    const d = this.dump;
    const detail = decodeProcess(d, pid, { maxSamples: 0, binarySharing: opts.sharing ?? false, sampleWidth: 300, exampleWidth: 200 });
    const row = this.rowOf(pid);
    return {
      detail,
      row: row >= 0 ? processAt(d.processes, row) : undefined,
      messages: this.messages(pid, 0, opts.messagesPerPage ?? 50),
      children: this.children(pid, 0, 100),
      etsTables: d.ets.filter((e) => e.owner === pid),
      ports: d.ports.filter((p) => p.connected === pid).map((p) => p.id),
      // By pid and by registered name (a timer sent to a name is keyed by it).
      timers: detail.timers?.timers ?? 0,
      ...(this.view.elixir ? { elixir: this.elixirOf(detail) } : {}),
    };
  }

  private elixirOf(d: ProcessDetail): ProcessElixir {
    const v = this.view;
    const r = d.record;
    const text = (t: string | undefined) => (t === undefined ? undefined : v.text(t));
    const initialCall = text(d.initialCall ?? r.spawnedAs);
    const name = text(r.name);
    const currentCall = text(r.currentCall);
    return {
      ...(name !== undefined ? { name } : {}),
      ...(initialCall !== undefined ? { initialCall } : {}),
      ...(currentCall !== undefined ? { currentCall } : {}),
      ancestors: d.ancestors.map(v.text),
      shapes: d.messages.shapes.map((s) => ({ shape: v.shape(s.shape), example: s.exampleTerm ? v.term(s.exampleTerm, 200) : v.text(s.example) })),
      dictionary: d.dictionary.map((e) => ({ key: v.term(e.key, 300), value: v.term(e.value, 300) })),
      stack: d.stack.frames.map((f) => ({
        ...(f.function ? { function: v.text(f.function) } : {}),
        ...(f.returnTo ? { returnTo: v.text(f.returnTo) } : {}),
        yRegisters: f.yRegisters.map((y) => (y.term ? v.term(y.term, 300) : v.text(y.text ?? ''))),
      })),
    };
  }

  /** Messages [offset, offset + limit) of a queue, with their shapes. */
  messages(pid: string, offset: number, limit: number): MessagesPage {
    const row = this.rowOf(pid);
    const queueLength = row >= 0 ? this.dump.processes.messageQueueLength.at(row) : NaN;
    const page = messagePage(this.dump, pid, offset, limit, { sampleWidth: MESSAGE_CHARS });
    return {
      pid,
      queueLength,
      offset,
      messages: page.messages.map((m) => ({ index: m.index, text: m.text, shape: m.shape,
        ...(this.view.elixir ? { elixir: { text: this.view.term(m.term, MESSAGE_CHARS), shape: this.view.shape(m.shape) } } : {}) })),
      more: page.more,
    };
  }

  /** Processes spawned by this one (their `Spawned by`), in table order. */
  children(pid: string, offset: number, limit: number): Page<string> {
    const t = this.dump.processes;
    const code = t.spawnedBy.codeOf(pid);
    const rows: string[] = [];
    let total = 0;
    if (code >= 0) {
      const codes = t.spawnedBy.codes;
      // A text cell is 1 + its code.
      for (let i = 0; i < t.count; i++) {
        if (codes[i] !== code + 1) continue;
        if (total >= offset && rows.length < limit) rows.push(t.pid.at(i));
        total++;
      }
    }
    return { total, offset, rows };
  }

  ports(offset: number, limit: number): Page<PortRecord> {
    const all = this.dump.ports;
    return { total: all.length, offset, rows: all.slice(offset, offset + limit) };
  }

  port(id: string): PortRecord | undefined {
    return this.dump.ports.find((p) => p.id === id);
  }

  /** ETS tables, largest memory first. */
  ets(offset: number, limit: number): Page<EtsRecord> {
    const all = [...this.dump.ets].sort((a, b) => (b.memoryBytes || 0) - (a.memoryBytes || 0));
    return { total: all.length, offset, rows: all.slice(offset, offset + limit) };
  }

  /** Timers (`=timer:PID` sections), each with its message and time left, in file order. */
  timers(offset: number, limit: number): Page<FieldsRow> {
    return this.fieldSections('timer', offset, limit);
  }

  /** Funs (`=fun` sections): module, uniq, index, address, native address, refc. */
  funs(offset: number, limit: number): Page<FieldsRow> {
    return this.fieldSections('fun', offset, limit);
  }

  /** Atoms, newest first as the dump writes them, read from the `=atoms` section a page at a time. */
  atoms(offset: number, limit: number): Page<string> {
    const ref = this.dump.index.find('atoms')[0];
    const rows: string[] = [];
    let n = 0;
    if (ref) {
      for (const line of sectionLines(dataPath(this.dump.source), ref, { maxLineBytes: 4096 })) {
        if (n >= offset && rows.length < limit) rows.push(line.toString('utf8'));
        n++;
      }
    }
    return { total: ref ? n : this.dump.atoms.count, offset, rows };
  }

  allocators(): AllocatorsPage {
    const model = allocatorModelFromDump(this.dump.allocators, this.dump.memory);
    return { types: summarizeByType(model), instances: summarizeInstances(model) };
  }

  nodes(): { thisNode?: string; distributed?: boolean; connections: NodeConnection[] } {
    return this.dump.distribution;
  }

  private fieldSections(tag: string, offset: number, limit: number): Page<FieldsRow> {
    const { total, refs } = this.dump.index.page(tag, offset, limit);
    const path = dataPath(this.dump.source);
    const rows = refs.map((ref) => {
      const fields: FieldsRow['fields'] = [];
      for (const line of sectionLines(path, ref, { maxLineBytes: 4096 })) {
        const text = line.toString('utf8');
        const colon = text.indexOf(': ');
        fields.push(colon < 0 ? { key: '', value: text } : { key: text.slice(0, colon), value: this.fieldText(tag, text.slice(0, colon), text.slice(colon + 2)) });
      }
      return { id: ref.id, fields };
    });
    return { total, offset, rows };
  }

  /** A section field in this session's syntax: a timer's message printed from its term (Elixir), the rest as written. */
  private fieldText(tag: string, key: string, value: string): string {
    if (!this.view.elixir || tag !== 'timer' || key !== 'Message') return value;
    const term = messageTerm(value);
    return term ? this.view.term(term, MESSAGE_CHARS) : this.view.text(value);
  }
}
