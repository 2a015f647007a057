/**
 * The transport the HTTP suites run through. The `yoga-transport` test project (vitest.config.ts) sets
 * TEST_TRANSPORT=yoga, and every server a suite starts then has LEAN_TRANSPORT=false: the same suites, the same
 * expectations, through Yoga's node adapter only. Otherwise the default applies (the lean transport).
 */
export const TRANSPORT_UNDER_TEST: 'lean' | 'yoga' = process.env.TEST_TRANSPORT === 'yoga' ? 'yoga' : 'lean';

/** The setting that selects the transport under test, to spread into a server's environment. */
export const transportEnv = (): Record<string, string> => (TRANSPORT_UNDER_TEST === 'yoga' ? { LEAN_TRANSPORT: 'false' } : {});
