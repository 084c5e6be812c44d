/**
 * The project reports over HTTP on 127.0.0.1 while `lumina up` runs. A report is generated
 * when its page is asked for (so it shows the cloud as it is now, and starting `up` costs
 * nothing), into `<dir>/<project>/`, then served from there; the batch drift reports and
 * report.json next to it are served as files. Read-only: GET and HEAD only, no scripts in
 * the pages and a Content-Security-Policy that forbids them.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { escapeHtml } from '../../lambdas/core/reports/svg-charts';
import type { LocalCloudApi } from '../cloud-api';
import { PROJECT_NAME_PATTERN } from '../cli/project-settings';
import { writeProjectReport } from './project-report';

export interface ReportServer {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  close(): Promise<void>;
}

export interface ReportServerOptions {
  /** Where reports are written, one folder per project. */
  readonly dir: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Generation failures and the like. @default - silent */
  readonly log?: (line: string) => void;
}

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
};
const TYPES: Readonly<Record<string, string>> = { '.html': 'text/html; charset=utf-8', '.json': 'application/json' };

export async function startReportServer(cloud: LocalCloudApi, options: ReportServerOptions): Promise<ReportServer> {
  const root = path.resolve(options.dir);
  // One generation at a time per project: two quick reloads must not interleave their writes.
  const generating = new Map<string, Promise<unknown>>();
  const generate = (project: string): Promise<unknown> => {
    const next = (generating.get(project) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => writeProjectReport(cloud, project, path.join(root, project)));
    generating.set(project, next);
    return next;
  };

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      options.log?.(`report server: ${request.url ?? ''}: ${message}`);
      if (!response.headersSent) send(response, 500, 'text/html; charset=utf-8', page('Report failed', `<p>${escapeHtml(message)}</p>`));
      else response.end();
    });
  });

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, 'text/plain; charset=utf-8', 'GET or HEAD only\n', { allow: 'GET, HEAD' });
      return;
    }
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    const parts = pathname.split('/').filter((p) => p !== '');
    if (parts.length === 0) {
      send(response, 200, TYPES['.html'], indexPage(cloud));
      return;
    }
    const [project, ...rest] = parts;
    if (!PROJECT_NAME_PATTERN.test(project) || !cloud.listProjects().some((p) => p.name === project)) {
      send(response, 404, TYPES['.html'], page('Not found', `<p>No project ${escapeHtml(project)}. <a href="/">All projects</a></p>`));
      return;
    }
    if (rest.length === 0 && !pathname.endsWith('/')) {
      send(response, 301, 'text/plain; charset=utf-8', '', { location: `/${project}/` });
      return;
    }
    const file = rest.length === 0 ? 'index.html' : rest.join('/');
    if (file === 'index.html') await generate(project);
    const projectDir = path.join(root, project);
    const target = path.resolve(projectDir, file);
    const stat = target.startsWith(`${projectDir}${path.sep}`) ? fs.statSync(target, { throwIfNoEntry: false }) : undefined;
    if (!stat?.isFile()) {
      send(response, 404, TYPES['.html'], page('Not found', `<p>No ${escapeHtml(file)} in the report of ${escapeHtml(project)}. <a href="/${project}/">Its report</a></p>`));
      return;
    }
    send(response, 200, TYPES[path.extname(target)] ?? 'application/octet-stream', request.method === 'HEAD' ? '' : fs.readFileSync(target));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(response: http.ServerResponse, status: number, type: string, body: string | Uint8Array, extra: Record<string, string> = {}): void {
  response.writeHead(status, { ...HEADERS, 'content-type': type, ...extra });
  response.end(body);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;margin:24px}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>\n`;
}

function indexPage(cloud: LocalCloudApi): string {
  const projects = cloud.listProjects();
  const list = projects.length === 0 ? "<p>No project yet: stop the cloud and run <code>lumina project create NAME --target COL</code>.</p>" : `<ul>${projects.map((p) => `<li><a href="/${escapeHtml(p.name)}/">${escapeHtml(p.name)}</a> <small>(${escapeHtml(p.stackName)})</small></li>`).join('')}</ul>`;
  return page('LuminaOps project reports', `${list}<p><small>Each report is generated when you open it.</small></p>`);
}
