/**
 * `beamscope exporter`'s HTTP server: `/metrics` scrapes the nodes (src/exporter/scrape.ts) when it
 * is asked. Scrapes that arrive while one is running share its result instead of starting their
 * own, so two Prometheus servers (an HA pair) cost one collection and the memory of one.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_TEXT_CONTENT_TYPE } from '../report/openmetrics.js';

export interface ExporterServer {
  server: Server;
  /** The address it listens on (the port the OS chose for port 0). */
  address: AddressInfo;
  close(): Promise<void>;
}

export async function startExporter(host: string, port: number, scrape: () => Promise<string>): Promise<ExporterServer> {
  let inFlight: Promise<string> | undefined;
  const metrics = () => {
    inFlight ??= scrape().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      // The same text is valid as both; OpenMetrics when the scraper asks for it (Prometheus does).
      const om = /application\/openmetrics-text/.test(req.headers.accept ?? '');
      metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': om ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_TEXT_CONTENT_TYPE });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (e: unknown) => {
          // scrape() never rejects for a node; this is a bug, and the scrape says so.
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`internal error: ${String((e as Error)?.message ?? e)}\n`);
        },
      );
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>beamscope exporter</title><p><a href="/metrics">/metrics</a></p>\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    address: server.address() as AddressInfo,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
