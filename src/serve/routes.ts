/**
 * `serve`'s URLs: each page at its own address (so a link can be pasted), and the same data as JSON
 * under /api/. Parsing the query and picking the page is here; the data is the session's
 * (session.ts), the HTML the pages' (pages.ts).
 *
 *   /                          overview: findings, memory        /api/
 *   /processes?sort&dir&q&offset&limit                           /api/processes
 *   /process/0.85.0[?sharing=1]  one process in full              /api/process/0.85.0
 *   /process/0.85.0/messages?offset&limit                        /api/process/0.85.0/messages
 *   /ports  /port/0.5  /ets  /timers  /funs  /atoms  /allocators  /nodes   (and /api/...)
 */
import { InputError } from '../errors.js';
import { PROCESS_SORT_KEYS, type ProcessQuery, type ProcessSortKey } from './process-query.js';
import { paging, type ServeSession } from './session.js';
import type { Answer } from './server.js';
import * as pages from './pages.js';
import type { Page } from '../html/index.js';
import { pidFromPath } from './paths.js';

export function processQuery(params: URLSearchParams): ProcessQuery {
  const s = params.get('sort') ?? 'memoryBytes';
  const sort = (PROCESS_SORT_KEYS as readonly string[]).includes(s) ? (s as ProcessSortKey) : 'memoryBytes';
  const dir = params.get('dir');
  // Numbers read best largest first, texts in alphabetical order.
  const descending = dir === null ? !['pid', 'name', 'state', 'spawnedAs', 'spawnedBy', 'currentCall', 'programCounter', 'internalState'].includes(sort) : dir !== 'asc';
  return { sort, descending, filter: (params.get('q') ?? '').slice(0, 200) };
}

function json(value: unknown, status = 200): Answer {
  const body = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : typeof v === 'bigint' ? v.toString() : v));
  return { status, kind: 'json', body };
}

function page(p: Page, status = 200): Answer {
  return { status, kind: 'html', body: p.html, csp: p.csp };
}

function notFound(api: boolean, what: string): Answer {
  return api ? json({ error: what }, 404) : page(pages.notFoundPage(what), 404);
}

/** The router of a session: a request that carried the token, answered. */
export function routerFor(session: ServeSession): (url: URL) => Answer {
  return (url) => {
    const api = url.pathname.startsWith('/api/');
    const path = api ? url.pathname.slice(4) : url.pathname;
    const q = url.searchParams;
    const num = (k: string) => Number(q.get(k) ?? NaN);
    const parts = path.split('/').filter((p) => p !== '');
    const answer = (data: unknown, html: () => Page): Answer => (api ? json(data) : page(html()));
    try {
      switch (parts[0] ?? '') {
        case '': {
          const report = session.overview();
          return answer(report, () => pages.overviewPage(report, session.processes({ sort: 'memoryBytes', descending: true, filter: '' }, 0, 15).rows, session.view));
        }
        case 'processes': {
          const { offset, limit } = paging(num('offset'), num('limit'));
          const page = session.processes(processQuery(q), offset, limit);
          return answer(page, () => pages.processesPage(page, limit, session.view));
        }
        case 'process': {
          const pid = parts[1] === undefined ? undefined : pidFromPath(parts[1]);
          if (!pid || !session.hasProcess(pid)) return notFound(api, `no process ${parts[1] ?? ''} in this dump`);
          if (parts[2] === 'messages') {
            const { offset, limit } = paging(num('offset'), num('limit'), 50);
            const page = session.messages(pid, offset, limit);
            return answer(page, () => pages.messagesPage(page, limit));
          }
          if (parts.length > 2) break;
          const page = session.process(pid, { sharing: q.get('sharing') === '1' });
          return answer(page, () => pages.processPage(page, session));
        }
        case 'ports': {
          const { offset, limit } = paging(num('offset'), num('limit'));
          const page = session.ports(offset, limit);
          return answer(page, () => pages.portsPage(page, limit, session));
        }
        case 'port': {
          const id = parts[1] === undefined ? undefined : `#Port<${decodeURIComponent(parts[1])}>`;
          const port = id ? session.port(id) : undefined;
          if (!port) return notFound(api, `no port ${parts[1] ?? ''} in this dump`);
          return answer(port, () => pages.portPage(port, session));
        }
        case 'ets': {
          const { offset, limit } = paging(num('offset'), num('limit'));
          const page = session.ets(offset, limit);
          return answer(page, () => pages.etsPage(page, limit, session));
        }
        case 'timers': {
          const { offset, limit } = paging(num('offset'), num('limit'));
          const page = session.timers(offset, limit);
          return answer(page, () => pages.timersPage(page, limit, session));
        }
        case 'funs': {
          const { offset, limit } = paging(num('offset'), num('limit'));
          const page = session.funs(offset, limit);
          return answer(page, () => pages.funsPage(page, limit));
        }
        case 'atoms': {
          const { offset, limit } = paging(num('offset'), num('limit'), 500);
          const page = session.atoms(offset, limit);
          return answer(page, () => pages.atomsPage(page, limit));
        }
        case 'allocators': {
          const page = session.allocators();
          return answer(page, () => pages.allocatorsPage(page));
        }
        case 'nodes': {
          const page = session.nodes();
          return answer(page, () => pages.nodesPage(page, session));
        }
        default:
          break;
      }
      return notFound(api, `no page ${url.pathname}`);
    } catch (e) {
      // A heap the decoder cannot read, a dump read from stdin without a spool: said on the page.
      if (e instanceof InputError) return api ? json({ error: e.message }, 422) : page(pages.errorPage(e.message), 422);
      throw e;
    }
  };
}
