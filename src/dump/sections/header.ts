import { keyEnd, KeyMatcher, parseDecimal, text, valueStart } from '../bytes.js';
import type { LineHandler } from '../scanner.js';
import type { DumpHeader } from '../types.js';
import type { ParseContext } from './context.js';

const KEYS = ['Slogan', 'System version', 'Compiled', 'Taints', 'Atoms', 'Calling Thread'] as const;
const K = { slogan: 0, systemVersion: 1, compiled: 2, taints: 3, atoms: 4, callingThread: 5 };
const matcher = new KeyMatcher(KEYS);
const SYSVER = 'System version: ';
/** Slogans are cut here; OTP 25 allows long ones, but a screenful is enough to read. */
const MAX_SLOGAN = 4096;
const MAX_SLOGAN_LINES = 100;

/**
 * The header, the body of `=erl_crash_dump:V`. The slogan is printed raw by the VM: it may span
 * lines, and from the break menu it has no newline, so `System version:` follows on the same line.
 */
export class HeaderParser implements LineHandler {
  readonly header: DumpHeader;
  private lineNo = 0;
  /** The slogan has started and `System version` has not been seen: lines belong to the slogan. */
  sloganOpen = false;
  private sloganLines = 0;

  constructor(dumpVersion: string, private readonly ctx: ParseContext) {
    this.header = { dumpVersion, slogan: '', wordSize: 8, wordSizeAssumed: true, jit: false, taints: [] };
  }

  line(buf: Buffer, start: number, end: number): void {
    const first = this.lineNo++ === 0;
    const k = keyEnd(buf, start, end);
    const id = k >= 0 ? matcher.match(buf, start, k) : -1;
    if (id < 0) {
      if (this.sloganOpen) {
        // A slogan is a few lines; one that never reaches `System version:` must not swallow the
        // whole file as the OTP 25 viewer's does, so it is closed after a screenful.
        if (++this.sloganLines > MAX_SLOGAN_LINES) this.sloganOpen = false;
        this.appendSlogan(`\n${text(buf, start, end)}`);
      } else if (first) {
        this.header.created = text(buf, start, end).trim();
      } else if (buf.toString('latin1', start, Math.min(end, start + 30)).startsWith('The error occurred in file')) {
        this.header.errorLocation = text(buf, start, end);
      } else if (end > start) {
        this.ctx.unknownKey('header', buf.toString('latin1', start, k >= 0 ? k : Math.min(end, start + 40)));
      }
      return;
    }
    const v = valueStart(buf, k, end);
    const h = this.header;
    switch (id) {
      case K.slogan: {
        const s = text(buf, v, end);
        const at = s.indexOf(SYSVER);
        if (at >= 0) {
          // Break-menu dump: "Slogan: Crash dump requested by userSystem version: Erlang/OTP ..."
          h.slogan = s.slice(0, at);
          this.systemVersion(s.slice(at + SYSVER.length));
        } else {
          h.slogan = s.slice(0, MAX_SLOGAN);
          this.sloganOpen = true;
        }
        break;
      }
      case K.systemVersion:
        this.systemVersion(text(buf, v, end));
        break;
      case K.compiled:
        this.sloganOpen = false;
        h.compiled = text(buf, v, end);
        break;
      case K.taints:
        this.sloganOpen = false;
        h.taints = text(buf, v, end).split(',').map((t) => t.trim()).filter(Boolean);
        break;
      case K.atoms:
        this.sloganOpen = false;
        h.atoms = parseDecimal(buf, v, end);
        break;
      case K.callingThread:
        this.sloganOpen = false;
        h.callingThread = text(buf, v, end);
        break;
    }
  }

  private appendSlogan(s: string): void {
    if (this.header.slogan.length < MAX_SLOGAN) this.header.slogan = (this.header.slogan + s).slice(0, MAX_SLOGAN);
  }

  private systemVersion(s: string): void {
    this.sloganOpen = false;
    const h = this.header;
    h.systemVersion = s;
    Object.assign(h, parseSystemVersion(s));
  }
}

/** What `erlang:system_info(system_version)` text says about the VM. */
export function parseSystemVersion(s: string): Partial<DumpHeader> {
  const out: Partial<DumpHeader> = {};
  const otp = /Erlang\/OTP (\d+)/.exec(s) ?? /Erlang (R\d+[AB]\w*)/.exec(s);
  if (otp) out.otpRelease = otp[1];
  const erts = /\[erts-([\d.]+)\]/.exec(s) ?? /\(erts-([\d.]+)\)/.exec(s) ?? /emulator version ([\d.]+)/.exec(s);
  if (erts) out.erts = erts[1];
  // The viewer's rule: 64-bit only when the version says so; an old 32-bit build says nothing.
  out.wordSize = /\[64-bit\]/.test(s) ? 8 : 4;
  out.wordSizeAssumed = false;
  const smp = /\[smp:(\d+):(\d+)\]/.exec(s);
  if (smp) out.schedulers = { total: Number(smp[1]), online: Number(smp[2]) };
  const ds = /\[ds:(\d+):(\d+):(\d+)\]/.exec(s);
  if (ds) out.dirtySchedulers = { cpu: Number(ds[1]), cpuOnline: Number(ds[2]), io: Number(ds[3]) };
  out.jit = /\[jit/.test(s);
  return out;
}
