import { describe, expect, it } from 'vitest';
import { protectRequest } from '../../../edge/transform';
import { bodyReachingOrigin, compiled } from '../../helpers/keys';

/**
 * Found by an attacker pass (edge): a sensitive *name* (configured "protected everywhere") written inside a
 * string value that the origin parses as a document of its own. The JSON Patch fix covered one such
 * case (a pointer in `path`); these are the same class: GraphQL inline arguments (Apollo, graphql-js,
 * Hot Chocolate, graphql-java all accept literals in the query), JSON serialised into a string
 * (`payload`, webhook `data`, SNS/SQS envelopes: the origin `JSON.parse`s it), and a form in a form
 * value. Each must be refused or protected.
 */

const SECRET = '123-45-6789';
const config = compiled({ names: ['ssn', 'email'] });
const reach = (body: string, contentType = 'application/json', uri = '/graphql') => bodyReachingOrigin(config, body, { contentType, uri });

describe('F5 (High): a sensitive name inside a string the origin parses again', () => {
  it('GraphQL inline argument: {"query":"mutation{createPerson(ssn:\\"…\\"){id}}"}', () => {
    expect(reach(JSON.stringify({ query: `mutation{createPerson(ssn:"${SECRET}"){id}}` }))).not.toContain(SECRET);
  });

  it('GraphQL input object literal: createPerson(input:{ssn:"…"})', () => {
    expect(reach(JSON.stringify({ query: `mutation{createPerson(input:{ssn:"${SECRET}"}){id}}` }))).not.toContain(SECRET);
  });

  it('JSON serialised into a JSON string: {"payload":"{\\"ssn\\":\\"…\\"}"}', () => {
    expect(reach(JSON.stringify({ payload: JSON.stringify({ ssn: SECRET }) }), 'application/json', '/api/people')).not.toContain(SECRET);
  });

  it('JSON serialised into a form value: payload=%7B%22ssn%22…', () => {
    const body = `payload=${encodeURIComponent(JSON.stringify({ ssn: SECRET }))}`;
    expect(reach(body, 'application/x-www-form-urlencoded', '/api/people')).not.toContain(SECRET);
  });

  it('control: GraphQL variables are protected', () => {
    const body = JSON.stringify({ query: 'mutation($s:String){createPerson(ssn:$s){id}}', variables: { ssn: SECRET } });
    expect(reach(body)).not.toContain(SECRET);
  });
});

describe('strings that are not documents naming a field', () => {
  it.each([
    ['free text with a name and a colon', { notes: 'email: see the ticket' }],
    ['JSON in a string naming no sensitive field', { payload: JSON.stringify({ city: 'Oslo' }) }],
    ['a GraphQL operation naming none', { query: 'query { person(id: 7) { name } }' }],
  ])('%s passes', (_name, doc) => {
    const body = JSON.stringify(doc);
    expect(bodyReachingOrigin(config, body, { uri: '/graphql' })).toBe(body);
  });

  it('refuses with SensitiveNameInString, naming no value', () => {
    const body = JSON.stringify({ query: `mutation { createPerson(ssn: "${SECRET}") { id } }` });
    expect(() =>
      protectRequest(config, { method: 'POST', uri: '/graphql', contentType: 'application/json', body: Buffer.from(body) }),
    ).toThrow(expect.objectContaining({ code: 'SensitiveNameInString', message: expect.not.stringContaining(SECRET) }));
  });
});
