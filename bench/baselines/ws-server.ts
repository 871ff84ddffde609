// The fan-out baseline: a plain `ws` server on /graphql that, on POST
// /broadcast, sends every open socket the same graphql-ws `next` message the
// service sends for one status change, stamped with changedAt just before.
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/broadcast') {
    const payload = JSON.stringify({
      id: '1',
      type: 'next',
      payload: {
        data: {
          orderStatusChanged: {
            status: 'SHIPPED',
            changedAt: new Date().toISOString(),
            order: { id: '00000000-0000-4000-8000-000000000000' },
          },
        },
      },
    });
    let sent = 0;
    for (const socket of wss.clients) {
      socket.send(payload);
      sent++;
    }
    res.end(JSON.stringify({ sent }));
    return;
  }
  res.statusCode = req.url === '/healthz' ? 200 : 404;
  res.end(JSON.stringify({ clients: wss.clients.size }));
});
const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: 64 * 1024 });
wss.on('connection', (socket: WebSocket) => socket.on('error', () => socket.terminate()));
server.listen(Number(process.env.PORT), '127.0.0.1');
