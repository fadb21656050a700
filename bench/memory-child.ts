/**
 * Peak RSS of the edge transform on one body, in a fresh process: argv mode, records, public key
 * file. Prints {baselineKb, peakKb}: maxRSS after setup, and after the transform.
 */
import { readFileSync } from 'node:fs';
import type { RouteMode } from '../core/config';
import { protectRequest } from '../edge/transform';
import { edgeConfig } from './edge-bench';
import { peopleBody } from './records';

const [mode = 'rsa', records = '1', keyFile = ''] = process.argv.slice(2);
const config = edgeConfig(readFileSync(keyFile, 'utf8'), mode as RouteMode);
const body = peopleBody(Number(records));
const baselineKb = process.resourceUsage().maxRSS;
const outcome = protectRequest(config, { method: 'POST', uri: '/api/people', contentType: 'application/json', body });
const peakKb = process.resourceUsage().maxRSS;
process.stdout.write(JSON.stringify({ baselineKb, peakKb, fields: outcome.fields }));
