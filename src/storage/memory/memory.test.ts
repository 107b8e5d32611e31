import { MemoryStorage } from './memory.js';
import { runStorageConformance } from '../conformance.suite.js';

runStorageConformance('memory', async () => new MemoryStorage());
