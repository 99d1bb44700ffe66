import { ProcessTableBuilder } from './process-table.js';
import type { LineHandler, ScanSink } from './scanner.js';
import { packPidBytes, SectionIndex } from './section-index.js';
import { BytesInterner, KeyMatcher } from './bytes.js';
import type { ParseContext } from './sections/context.js';
import { nodeHandler } from './sections/distribution.js';
import { etsHandler } from './sections/ets.js';
import { HeaderParser } from './sections/header.js';
import { loadedModulesHandler, modHandler } from './sections/modules.js';
import { portHandler } from './sections/port.js';
import { ProcParser } from './sections/proc.js';
import { runQueueHandler, schedulerHandler } from './sections/scheduler.js';
import {
  allocatedAreasHandler, allocatorHandler, binaryHandler, hashTableHandler, indexTableHandler, lineCounter, memoryHandler,
} from './sections/tables.js';
import type { Dump, DumpSource } from './types.js';

/** Every tag the writer is known to produce, R10B to OTP 28; anything else is counted as unknown. */
export const KNOWN_TAGS = new Set([
  'erl_crash_dump', 'scheduler', 'dirty_cpu_scheduler', 'dirty_io_scheduler', 'dirty_cpu_run_queue',
  'dirty_io_run_queue', 'memory', 'hash_table', 'index_table', 'allocated_areas', 'allocator', 'proc', 'port',
  'ets', 'internal_ets', 'timer', 'node', 'no_distribution', 'visible_node', 'hidden_node', 'not_connected',
  'loaded_modules', 'mod', 'fun', 'proc_messages', 'proc_dictionary', 'proc_stack', 'proc_heap',
  'persistent_terms', 'literals', 'binary', 'atoms', 'end', 'abort', 'instr_data', 'old_instr_data',
  'memory_map', 'memory_status', 'num_atoms',
]);

const TAG_LIST = [...KNOWN_TAGS];
const TAG_MATCHER = new KeyMatcher(TAG_LIST);
const NEWEST_ATOMS_KEPT = 20;

/**
 * Turns the scanner's tag lines and body lines into the Dump model: picks the section parser for
 * each tag, keeps the section index and the counts, and notes how the dump ends.
 */
export class DumpBuilder implements ScanSink {
  readonly index = new SectionIndex();
  private readonly rows = new ProcessTableBuilder();
  private header: HeaderParser | null = null;
  private pendingFinish: (() => void) | null = null;
  private procParser?: ProcParser;
  private readonly finishProc = () => this.procParser?.finish();
  private readonly binAddr: number[] = [];
  private readonly binSize: number[] = [];
  private sawEnd = false;
  private cutMidLine = false;
  private endOffset = 0;
  private abortReason?: string;
  private lastIndex = -1;
  readonly dump: Omit<Dump, 'header' | 'truncation' | 'index' | 'source' | 'processes' | 'binaries'>;
  private readonly ctx: ParseContext;

  constructor() {
    this.dump = {
      memory: {}, hashTables: [], indexTables: [], allocatedAreas: [], allocators: [], ports: [], ets: [],
      timers: { count: 0, byOwner: {} }, distribution: { connections: [] },
      loadedModules: { modules: [] }, funCount: 0, schedulers: [], runQueues: [], persistentTermCount: 0,
      atoms: { count: 0, newest: [] }, sectionCounts: {}, unknown: { tags: {}, keys: {} },
    };
    const unknownKeys = this.dump.unknown.keys;
    this.ctx = {
      wordSize: () => this.header?.header.wordSize ?? 8,
      intern: new BytesInterner(),
      unknownKey: (section, key) => {
        const k = `${section}: ${key}`;
        if (k in unknownKeys || Object.keys(unknownKeys).length < 200) unknownKeys[k] = (unknownKeys[k] ?? 0) + 1;
      },
    };
  }

  tag(buf: Buffer, start: number, end: number, lineOffset: number, bodyOffset: number): LineHandler | null | false {
    // The slogan is raw text up to `System version:`: "\n=" inside it is not a tag.
    if (this.header?.sloganOpen) return false;
    let nameEnd = end;
    for (let p = start + 1; p < end; p++) if (buf[p] === 0x3a) { nameEnd = p; break; }
    const code = TAG_MATCHER.match(buf, start + 1, nameEnd);
    const tag = code >= 0 ? TAG_LIST[code] : buf.toString('latin1', start + 1, nameEnd);
    // Process sections are most of the tags of a big dump: their pid ids are packed from the bytes,
    // and a string is made only for the sections that keep one.
    const packed = nameEnd < end ? packPidBytes(buf, nameEnd + 1, end) : NaN;
    const needsText = Number.isNaN(packed) || !(tag === 'proc_heap' || tag === 'proc_stack' || tag === 'proc_messages' || tag === 'proc_dictionary');
    const id = nameEnd < end && needsText ? buf.toString('utf8', nameEnd + 1, end) : '';
    this.closeSection(lineOffset);
    if (tag === 'abort') {
      // `=abort:REASON` is the writer giving up (ERL_CRASH_DUMP_BYTES), not a data section.
      this.abortReason = id;
      return null;
    }
    this.dump.sectionCounts[tag] = (this.dump.sectionCounts[tag] ?? 0) + 1;
    this.index.add(tag, packed, id, bodyOffset);
    this.lastIndex = this.index.size - 1;
    return this.handlerFor(tag, id);
  }

  end(endOffset: number, cutMidLine: boolean): void {
    this.closeSection(endOffset);
    this.endOffset = endOffset;
    this.cutMidLine = cutMidLine;
  }

  private closeSection(offset: number): void {
    this.index.closeLast(offset);
    this.pendingFinish?.();
    this.pendingFinish = null;
  }

  private handlerFor(tag: string, id: string): LineHandler | null {
    const d = this.dump;
    const ctx = this.ctx;
    switch (tag) {
      case 'erl_crash_dump':
        this.header = new HeaderParser(id, ctx);
        return this.header;
      case 'proc':
        this.procParser ??= new ProcParser(this.rows, ctx);
        this.pendingFinish = this.finishProc;
        return this.procParser.begin(id);
      case 'proc_heap': case 'proc_stack': case 'proc_messages': case 'proc_dictionary': case 'literals':
        return null; // decoded on demand, per process (src/dump/terms)
      case 'port': return portHandler(id, d.ports, ctx);
      case 'ets': case 'internal_ets': return etsHandler(id, d.ets, ctx);
      case 'timer':
        d.timers.count++;
        if (id in d.timers.byOwner || Object.keys(d.timers.byOwner).length < 100_000) d.timers.byOwner[id] = (d.timers.byOwner[id] ?? 0) + 1;
        return null;
      case 'fun': d.funCount++; return null;
      case 'memory': return memoryHandler(d.memory);
      case 'hash_table': return hashTableHandler(id, d.hashTables, ctx);
      case 'index_table': return indexTableHandler(id, d.indexTables, ctx);
      case 'allocated_areas': return allocatedAreasHandler(d.allocatedAreas);
      case 'allocator': return allocatorHandler(id, d.allocators);
      case 'node': d.distribution.thisNode = id; return null;
      case 'no_distribution': d.distribution.distributed = false; return null;
      case 'visible_node': case 'hidden_node': case 'not_connected':
        if (tag !== 'not_connected') d.distribution.distributed = true;
        return nodeHandler(tag === 'visible_node' ? 'visible' : tag === 'hidden_node' ? 'hidden' : 'not_connected', id, d.distribution.connections, ctx);
      case 'loaded_modules': return loadedModulesHandler(d.loadedModules, ctx);
      case 'mod': return modHandler(id, d.loadedModules.modules, ctx);
      case 'scheduler': case 'dirty_cpu_scheduler': case 'dirty_io_scheduler':
        return schedulerHandler(tag === 'scheduler' ? 'normal' : tag === 'dirty_cpu_scheduler' ? 'dirty_cpu' : 'dirty_io', Number(id), d.schedulers, ctx);
      case 'dirty_cpu_run_queue': case 'dirty_io_run_queue':
        return runQueueHandler(tag === 'dirty_cpu_run_queue' ? 'dirty_cpu' : 'dirty_io', d.runQueues, ctx);
      case 'persistent_terms': return lineCounter(0, (n) => { d.persistentTermCount = n; });
      case 'atoms': return lineCounter(NEWEST_ATOMS_KEPT, (n) => { d.atoms.count = n; }, d.atoms.newest);
      case 'binary': {
        const addr = parseInt(id, 16);
        return binaryHandler((size) => {
          this.binAddr.push(addr);
          this.binSize.push(size);
        });
      }
      case 'end': this.sawEnd = true; return null;
      default:
        if (!KNOWN_TAGS.has(tag)) d.unknown.tags[tag] = (d.unknown.tags[tag] ?? 0) + 1;
        return null;
    }
  }

  /** The finished model. */
  result(source: DumpSource): Dump {
    const header = this.header?.header ?? {
      dumpVersion: '?', slogan: '', wordSize: 8 as const, wordSizeAssumed: true, jit: false, taints: [],
    };
    const d = this.dump;
    if (d.distribution.distributed === undefined && d.distribution.thisNode !== undefined) {
      d.distribution.distributed = d.distribution.thisNode !== "'nonode@nohost'" && d.distribution.thisNode !== 'nonode@nohost';
    }
    const truncated = !this.sawEnd || this.abortReason !== undefined;
    return {
      ...d,
      source: { ...source, bytes: this.endOffset },
      header,
      processes: this.rows.table,
      binaries: {
        count: this.binSize.length,
        totalBytes: this.binSize.reduce((a, b) => a + b, 0),
        address: Float64Array.from(this.binAddr),
        sizeBytes: Float64Array.from(this.binSize),
      },
      truncation: {
        truncated,
        abortReason: this.abortReason,
        cutMidLine: this.cutMidLine,
        ...(this.lastIndex >= 0 ? { lastTag: this.index.at(this.lastIndex).tag, lastId: this.index.at(this.lastIndex).id } : {}),
        bytesRead: this.endOffset,
      },
      index: this.index,
    };
  }
}
