// The fault suite's knobs. `npm test` runs the short CI mode (each scenario
// once, sized to fit a few minutes on two busy cores: RabbitMQ and Redis cut
// 6 s rather than 10 s, shorter load around each fault);
// `npm run soak:faults` runs the scenarios round after round until
// FAULTS_SOAK_DURATION is spent, at a higher rate, with 10 s cuts.

export interface FaultSettings {
  soak: boolean;
  /** New orders placed per second by the load, across all customers. */
  ratePerSecond: number;
  customers: number;
  /** Load before the fault, and after healing, in each scenario. */
  beforeMs: number;
  afterMs: number;
  rabbitmqCutMs: number;
  redisCutMs: number;
  postgresCutMs: number;
  postgresPartitionMs: number;
  /** How long a killed or stopped process stays down before it is started again. */
  downMs: number;
  /** Longest wait for one createOrder answer before the client sends the key again. */
  requestTimeoutMs: number;
  /** The bounded wait, after healing, for every key to be acknowledged and the system to go quiet. */
  settleMs: number;
  paymentDelay: string;
  /** Soak mode only: run rounds of every scenario until this much time has passed. */
  soakMs: number;
}

/** `500ms`, `10s`, `2m`, or a number of milliseconds. */
export function parseDuration(name: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined || value.trim() === '') return fallbackMs;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!match) throw new Error(`${name}: "${value}" is not a duration like 500ms, 10s or 2m`);
  const n = Number(match[1]);
  return Math.round(match[2] === 'm' ? n * 60_000 : match[2] === 's' ? n * 1000 : n);
}

function parseCount(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: "${value}" is not a positive number`);
  return n;
}

export function faultSettings(env: NodeJS.ProcessEnv = process.env): FaultSettings {
  const soak = env.FAULTS_MODE === 'soak';
  return {
    soak,
    ratePerSecond: parseCount('FAULTS_RATE', env.FAULTS_RATE, soak ? 20 : 8),
    customers: Math.round(parseCount('FAULTS_CUSTOMERS', env.FAULTS_CUSTOMERS, soak ? 24 : 8)),
    beforeMs: parseDuration('FAULTS_BEFORE', env.FAULTS_BEFORE, soak ? 10_000 : 2000),
    afterMs: parseDuration('FAULTS_AFTER', env.FAULTS_AFTER, soak ? 10_000 : 3000),
    rabbitmqCutMs: parseDuration('FAULTS_RABBITMQ_CUT', env.FAULTS_RABBITMQ_CUT, soak ? 10_000 : 6000),
    redisCutMs: parseDuration('FAULTS_REDIS_CUT', env.FAULTS_REDIS_CUT, soak ? 10_000 : 6000),
    postgresCutMs: parseDuration('FAULTS_POSTGRES_CUT', env.FAULTS_POSTGRES_CUT, 5000),
    postgresPartitionMs: parseDuration('FAULTS_POSTGRES_PARTITION', env.FAULTS_POSTGRES_PARTITION, 5000),
    downMs: parseDuration('FAULTS_DOWN', env.FAULTS_DOWN, soak ? 2000 : 1000),
    requestTimeoutMs: parseDuration('FAULTS_REQUEST_TIMEOUT', env.FAULTS_REQUEST_TIMEOUT, 15_000),
    settleMs: parseDuration('FAULTS_SETTLE', env.FAULTS_SETTLE, 90_000),
    paymentDelay: env.FAULTS_PAYMENT_DELAY?.trim() || '200ms',
    soakMs: parseDuration('FAULTS_SOAK_DURATION', env.FAULTS_SOAK_DURATION, 10 * 60_000),
  };
}
