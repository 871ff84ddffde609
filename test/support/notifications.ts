// Real receivers for the notification tests: an SMTP server (smtp-server,
// parsing what arrives with mailparser) and an HTTP server standing in for a
// partner's webhook endpoint. Both listen on free local ports.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Metrics } from '../../src/observability/metrics.js';

export interface TestMailServer {
  port: number;
  url: string;
  messages: ParsedMail[];
  /** Messages whose To is `address`. */
  to(address: string): ParsedMail[];
  /** Recipients refused for good (SMTP 550) while they are in here. */
  refused: Set<string>;
  close(): Promise<void>;
}

export async function startMailServer(): Promise<TestMailServer> {
  const messages: ParsedMail[] = [];
  const refused = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!refused.has(address.address)) return callback();
      callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          messages.push(mail);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refused,
    to: (address) => messages.filter((m) => addressesOf(m).includes(address)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function addressesOf(mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((group) => group.value.map((a) => a.address ?? ''));
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface TestWebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Requests for one event (by webhook-id). */
  forEvent(eventId: string): ReceivedWebhook[];
  /** What the next requests are answered with: a status (with headers), or 'hang' (never answer). */
  answer: (request: ReceivedWebhook) => WebhookAnswer;
  close(): Promise<void>;
}

export type WebhookAnswer = number | { status: number; headers: Record<string, string> } | 'hang';

export async function startWebhookReceiver(
  answer: (request: ReceivedWebhook) => WebhookAnswer = () => 200,
): Promise<TestWebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const receiver: TestWebhookReceiver = {
    url: '',
    received,
    forEvent: (eventId) => received.filter((r) => r.headers['webhook-id'] === eventId),
    answer,
    close: () => closeServer(server),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(request);
      const answer = receiver.answer(request);
      if (answer === 'hang') return;
      const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(status < 300 ? 'ok' : `answer ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/orders`;
  return receiver;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** notifications_{sent,retried,failed}_total by channel, read from the app's /metrics text. */
export async function notificationCounts(metrics: Metrics) {
  const text = await metrics.render();
  const read = (name: string, channel: string) =>
    Number(new RegExp(`^${name}\\{channel="${channel}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  const of = (channel: string) => ({
    sent: read('notifications_sent_total', channel),
    retried: read('notifications_retried_total', channel),
    failed: read('notifications_failed_total', channel),
  });
  return { email: of('email'), webhook: of('webhook'), inApp: of('in_app') };
}
