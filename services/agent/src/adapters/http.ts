/** The agent's optional HTTP port: /healthz (alive), /readyz (watching desired state), /metrics (Prometheus). */
import { createServer, type Server } from 'node:http';
import { PROMETHEUS_CONTENT_TYPE } from '@driftless/telemetry';

export interface HttpDeps {
  readiness: () => { isReady: boolean; reasons: string[] };
  renderMetrics: () => Promise<string>;
}

export function createHttpServer(deps: HttpDeps): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'application/json', JSON.stringify({ error: 'method not allowed' }));
    switch (path) {
      case '/healthz':
        return send(200, 'application/json', JSON.stringify({ status: 'ok' }));
      case '/readyz': {
        const { isReady, reasons } = deps.readiness();
        return send(isReady ? 200 : 503, 'application/json', JSON.stringify({ status: isReady ? 'ready' : 'not ready', reasons }));
      }
      case '/metrics':
        deps.renderMetrics().then(
          (text) => send(200, PROMETHEUS_CONTENT_TYPE, text),
          (err: unknown) => send(500, 'text/plain', `metrics failed: ${(err as Error).message}\n`),
        );
        return;
      default:
        return send(404, 'application/json', JSON.stringify({ error: 'not found' }));
    }
  });
}

export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}
