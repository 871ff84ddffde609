// Every code the GraphQL websocket closes with, named once. Clients should
// not reconnect with the same token after 4401 (get a new one first), nor
// retry unchanged after 4400/4403/1009. docs: README "Live updates".
import { CloseCode as ProtocolCloseCode } from 'graphql-ws';

export const SocketCloseCode = {
  /** No token in connection_init, an invalid one, one whose account is gone, or its expiry reached (at connect or while open). */
  Unauthorized: ProtocolCloseCode.Unauthorized, // 4401
  /** Refused for a reason other than the token (graphql-ws's answer when onConnect says no). */
  Forbidden: ProtocolCloseCode.Forbidden, // 4403
  /** A malformed message, e.g. connection params that are not an object (graphql-ws). */
  BadRequest: ProtocolCloseCode.BadRequest, // 4400
  /** No connection_init within 3 seconds of opening (graphql-ws). */
  ConnectionInitialisationTimeout: ProtocolCloseCode.ConnectionInitialisationTimeout, // 4408
  /** A second connection_init on one socket (graphql-ws). */
  TooManyInitialisationRequests: ProtocolCloseCode.TooManyInitialisationRequests, // 4429
  /** A message over the socket's maxPayload (ws: "message too big"). */
  MessageTooBig: 1009,
  /** The server is shutting down; reconnect (to another instance). */
  GoingAway: 1001,
  /**
   * Try again later: a subscriber fell too far behind (LIVE_MAX_BUFFERED_*), or the service could not read
   * its changes for a moment. The stock client retries it; resume with `after` and nothing is lost.
   */
  TryAgainLater: 1013,
  /**
   * The socket's access token expired while it was open. Not 4401: the stock graphql-ws client gives up
   * on 4401, but retries this code, calling `connectionParams` again, where a front end refreshes its
   * token (docs/live.md). A socket opened with an expired or invalid token is still closed with 4401.
   */
  AccessTokenExpired: 4419,
} as const;
export type SocketCloseCode = (typeof SocketCloseCode)[keyof typeof SocketCloseCode];
