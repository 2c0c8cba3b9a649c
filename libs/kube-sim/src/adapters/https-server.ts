/**
 * The HTTPS transport of a simulated cluster: a plain `node:https` server that hands every
 * request to the API handler, enforces the body limit while reading, streams watches, and on
 * stop closes every connection (open watches included).
 */
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { IncomingRequest, ResponseSink } from '../http/handler.js';
import { tooLarge } from '../http/body.js';
import type { TlsMaterial } from './tls.js';

export interface RequestHandler {
  handle(req: IncomingRequest, res: ResponseSink): Promise<void>;
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let isOver = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Keep draining so the client can read our answer, but stop buffering.
        isOver = true;
        chunks.length = 0;
        return;
      }
      if (!isOver) chunks.push(chunk);
    });
    req.on('end', () => (isOver ? reject(tooLarge(maxBytes)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function sinkFor(res: ServerResponse, socket: Socket): ResponseSink {
  return {
    send(status, contentType, body) {
      if (res.headersSent) {
        res.end();
        return;
      }
      res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
      res.end(body);
    },
    startStream(status, contentType) {
      res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
    },
    write(chunk) {
      if (!res.writableEnded) res.write(chunk);
    },
    end() {
      if (!res.writableEnded) res.end();
    },
    onClose(listener) {
      res.on('close', listener);
    },
    destroy() {
      socket.destroy();
    },
  };
}

export function listenHttps(handler: RequestHandler, tls: TlsMaterial, host: string, port: number): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ key: tls.key, cert: tls.cert, keepAlive: true }, (req, res) => {
    const request: IncomingRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      header: (name) => {
        const v = req.headers[name.toLowerCase()];
        return Array.isArray(v) ? v.join(', ') : v;
      },
      readBody: (maxBytes) =>
        readBody(req, maxBytes).catch((err: unknown) => {
          // Do not wait for (or keep the connection open for) the rest of an oversized body.
          res.shouldKeepAlive = false;
          throw err;
        }),
    };
    handler.handle(request, sinkFor(res, req.socket)).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client hanging up mid-handshake must never take the server down.
  server.on('tlsClientError', () => undefined);
  server.on('clientError', (_err, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve({
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
            server.closeAllConnections();
          }),
      });
    });
  });
}
