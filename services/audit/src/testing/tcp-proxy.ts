/**
 * A TCP proxy a test can cut and restore, to take Postgres away from the code under test
 * without stopping the shared server: `cut()` resets every open connection and refuses new
 * ones (exactly what a client sees when Postgres goes down), `restore()` accepts again.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  readonly isCut: boolean;
  /** Connections accepted so far. */
  readonly connections: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let isCut = false;
  let port = 0;

  const handle = (client: Socket) => {
    connections += 1;
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  };

  let server: Server = createServer(handle);
  const listen = (s: Server, p: number) => new Promise<void>((resolve, reject) => s.once('error', reject).listen(p, '127.0.0.1', () => resolve()));
  await listen(server, 0);
  port = (server.address() as AddressInfo).port;

  return {
    get port() {
      return port;
    },
    get isCut() {
      return isCut;
    },
    get connections() {
      return connections;
    },
    async cut() {
      isCut = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.resetAndDestroy();
        sockets.clear();
      });
    },
    async restore() {
      server = createServer(handle);
      await listen(server, port);
      isCut = false;
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (!isCut) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
