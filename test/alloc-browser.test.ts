/**
 * `beamscope/alloc` in a browser: the built entry bundled by esbuild for the browser platform (a
 * `node:` import, `Buffer` or a worker URL fails the bundle), then run in a fresh V8 context with
 * nothing of Node's (no process, Buffer or require; TextDecoder and TextEncoder, as browsers have them), on a
 * recon_alloc snapshot and a JSON model, against the same calls through the Node entry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as nodeAlloc from '../dist/src/alloc/index.js';
import { REPO } from './helpers/dumps.js';

const SNAPSHOT = join(REPO, 'fixtures', 'trend', 'series', 'snap-20.snapshot');

describe('beamscope/alloc in a browser', () => {
  it('bundles with esbuild --platform=browser and runs with no Node globals', async () => {
    const out = await build({
      entryPoints: [join(REPO, 'dist/src/alloc/index.js')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'beamscopeAlloc',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0].text;
    expect(code).not.toMatch(/\brequire\(|node:/);
    const sandbox: Record<string, unknown> = { TextDecoder, TextEncoder };
    runInNewContext(code, sandbox);
    const alloc = sandbox.beamscopeAlloc as typeof nodeAlloc;
    expect(runInNewContext('typeof process + typeof Buffer + typeof require', sandbox)).toBe(
      'undefinedundefinedundefined',
    );

    const bytes = new Uint8Array(readFileSync(SNAPSHOT));
    const inBrowser = alloc.summarizeByType(alloc.allocatorModelFromTermText(alloc.decodeTermText(bytes), 'snap'));
    const inNode = nodeAlloc.summarizeByType(
      nodeAlloc.allocatorModelFromTermText(nodeAlloc.decodeTermText(bytes), 'snap'),
    );
    expect(inBrowser.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(inBrowser))).toEqual(JSON.parse(JSON.stringify(inNode)));

    // The JSON form from parsed values (what a page gets from JSON.parse of an uploaded file).
    const model = JSON.parse(
      JSON.stringify(nodeAlloc.allocatorModelFromTermText(nodeAlloc.decodeTermText(bytes), 'snap')),
    );
    const fromJson = alloc.allocatorModelFromJsonValues([model], 'upload.json');
    expect(alloc.allocReport(fromJson).findings.map((f) => f.id)).toEqual(
      nodeAlloc.allocReport(model).findings.map((f) => f.id),
    );
    // Latin-1 snapshot text (recon's snapshot_save of a node name with é) decodes without Buffer.
    expect(alloc.decodeTermText(new Uint8Array([0x27, 0xe9, 0x27]))).toBe("'é'");
  });
});
