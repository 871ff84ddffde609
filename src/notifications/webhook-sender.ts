// One webhook delivery attempt: the envelope exactly as it came from the
// broker, signed per Standard Webhooks (the `standardwebhooks` package), POSTed
// to the address that was checked (webhook-targets.ts). Redirects are not
// followed: a 3xx is a failed attempt, so a redirect can never lead inside.
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { RefusedTargetError, resolveTarget, type Resolver } from './webhook-targets.js';
import { errorSummary } from '../broker/retry.js';

export interface WebhookRequest {
  url: string;
  secret: string;
  /** `webhook-id`: the event id, the same on every retry so receivers can dedupe. */
  messageId: string;
  body: string;
}

export interface WebhookOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

export interface WebhookSenderOptions {
  allowPrivateTargets: boolean;
  timeoutMs: number;
  resolver?: Resolver;
}

/** How much of an endpoint's answer is kept in the attempt's error, for the admin reading it. */
const RESPONSE_EXCERPT = 200;
const USER_AGENT = 'order-service-webhooks/1';

/** The Standard Webhooks headers for a body, signed now. */
export function signedHeaders(secret: string, messageId: string, body: string, at = new Date()) {
  const timestamp = new Date(Math.floor(at.getTime() / 1000) * 1000);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp.getTime() / 1000),
    'webhook-signature': new Webhook(secret).sign(messageId, timestamp, body),
  };
}

export async function sendWebhook(req: WebhookRequest, options: WebhookSenderOptions): Promise<WebhookOutcome> {
  let target;
  try {
    target = await resolveTarget(new URL(req.url), {
      allowPrivate: options.allowPrivateTargets,
      resolver: options.resolver,
    });
  } catch (error) {
    if (error instanceof RefusedTargetError) return { ok: false, statusCode: null, error: `refused: ${error.reason}` };
    throw error;
  }
  const { url, address, family } = target;
  // Pinned: whatever the DNS says by now, the socket goes to the address checked above.
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const body = Buffer.from(req.body, 'utf8');
  const requestOptions: RequestOptions = {
    method: 'POST',
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port || (url.protocol === 'https:' ? 443 : 80),
    path: `${url.pathname}${url.search}`,
    lookup: pinned,
    timeout: options.timeoutMs,
    headers: {
      'content-type': 'application/json',
      'content-length': String(body.length),
      'user-agent': USER_AGENT,
      ...signedHeaders(req.secret, req.messageId, req.body),
    },
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<WebhookOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: WebhookOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(outcome);
    };
    const request = send(requestOptions, (response) => {
      readExcerpt(response).then((excerpt) => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) finish({ ok: true, statusCode: status, error: null });
        else if (status >= 300 && status < 400)
          finish({ ok: false, statusCode: status, error: `HTTP ${status}: redirects are not followed` });
        else finish({ ok: false, statusCode: status, error: `HTTP ${status}${excerpt ? `: ${excerpt}` : ''}` });
      });
    });
    // `timeout` above is per socket inactivity; this bounds the whole exchange.
    const deadline = setTimeout(
      () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error) => finish({ ok: false, statusCode: null, error: errorSummary(error) }));
    request.end(body);
  });
}

/** The start of the response body, as text; the rest is read and dropped so the socket is freed. */
function readExcerpt(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let kept = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (kept.length < RESPONSE_EXCERPT) kept += chunk.slice(0, RESPONSE_EXCERPT - kept.length);
    });
    response.on('end', () => resolve(kept.replace(/\s+/g, ' ').trim()));
    response.on('error', () => resolve(kept));
    response.on('aborted', () => resolve(kept));
    response.on('close', () => resolve(kept));
  });
}
