import { describe, expect, it } from 'vitest';
import { bodyReachingOrigin, compiled } from '../../helpers/keys';

/**
 * Found by an attacker pass (edge, embedded.ts): GraphQL's lexer skips "ignored tokens" (whitespace, line
 * terminators including a lone CR, comments, commas and a BOM) between any two tokens (GraphQL
 * spec §2.1.7; graphql-js `readNextToken` skips 0x2c and treats \r as a line end). The edge's
 * first recognizer wanted a keyword after only whitespace and `#…\n` comments, and a name
 * `name` then only whitespace before `:`. So an inline argument `ssn` reaches graphql-js (Apollo,
 * express-graphql, Yoga) in clear.
 */

const S = '123-45-6789';
const config = compiled({ names: ['ssn', 'email'] });
const gql = (query: string) => bodyReachingOrigin(config, JSON.stringify({ query }), { contentType: 'application/json', uri: '/graphql' });

describe('F2 (High): GraphQL ignored tokens hide an inline sensitive argument', () => {
  it('a leading comma: ",mutation{createPerson(ssn:\\"S\\"){id}}"', () => {
    expect(gql(`,mutation{createPerson(ssn:"${S}"){id}}`)).not.toContain(S);
  });

  it('a leading comma before the query shorthand: ",{person(ssn:\\"S\\"){id}}"', () => {
    expect(gql(`,{person(ssn:"${S}"){id}}`)).not.toContain(S);
  });

  it('a comment ended by a lone CR: "#c\\rmutation{…}"', () => {
    expect(gql(`#c\rmutation{createPerson(ssn:"${S}"){id}}`)).not.toContain(S);
  });

  it('a comma between the argument name and its colon: "createPerson(ssn,:\\"S\\")"', () => {
    expect(gql(`mutation{createPerson(ssn,:"${S}"){id}}`)).not.toContain(S);
  });

  it('a comment between the argument name and its colon: "createPerson(ssn #x\\n:\\"S\\")"', () => {
    expect(gql(`mutation{createPerson(ssn #x\n:"${S}"){id}}`)).not.toContain(S);
  });
});
