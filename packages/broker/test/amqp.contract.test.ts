import { brokerContract } from './broker.contract.js';
import { amqpFixture } from './fixtures.js';
import { transportContract } from './transport.contract.js';

transportContract(amqpFixture);
brokerContract(amqpFixture);
