import { brokerContract } from './broker.contract.js';
import { memoryFixture } from './fixtures.js';
import { transportContract } from './transport.contract.js';

transportContract(memoryFixture);
brokerContract(memoryFixture);
