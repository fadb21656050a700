/**
 * The config file (`config/fields.json`): its types and constants (`types.ts`), its validation
 * (`validate.ts`), and what a valid config leaves open and hands the edge (`policy.ts`).
 */
export * from './policy';
export * from './types';
export * from './validate';
