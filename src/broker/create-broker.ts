import type { Logger } from '../logger.js';
import type { Broker } from './broker.js';
import { InProcessBus } from './in-process.js';
import { RabbitMqBroker } from './rabbitmq.js';

/** RabbitMQ when a URL is given, else the in-process bus (the embedded defaults). */
export function createBroker(rabbitmqUrl: string | undefined, logger: Logger, connectionName?: string): Broker {
  const log = logger.child({ component: 'broker' });
  return rabbitmqUrl
    ? new RabbitMqBroker(rabbitmqUrl, log, connectionName ? { connectionName } : {})
    : new InProcessBus(log);
}
