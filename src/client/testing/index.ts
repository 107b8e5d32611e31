export { FakeApi, type FakeApiOptions, type FakeRequest, type Reactor, type Verb } from './fakeapi.js';
export { eventually, tick } from './eventually.js';
