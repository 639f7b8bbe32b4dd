import { describe, expect, it } from 'vitest';
import { hasDuplicateMembers } from '../../../server/src/auth/json-duplicates.js';

describe('hasDuplicateMembers', () => {
  it.each([
    ['{"a":1,"a":2}', true],
    ['{"a":1,"\\u0061":2}', true],
    ['{"u":{"id":"x","id":"y"}}', true],
    ['[{"a":1},{"b":{"c":[1,{"d":1,"d":2}]}}]', true],
    [' { "a" : 1 , "b" : { "a" : 2 } , "c" : [ ] } ', false],
    ['{"a":"\\"a\\":","b":"}{","c":{}}', false],
    ['{"a":[1,2.5e3,true,false,null,"x"],"A":1}', false],
    ['"just a string"', false],
    ['{}', false],
  ])('%s → %s', (text, expected) => {
    JSON.parse(text); // only valid JSON is ever scanned
    expect(hasDuplicateMembers(text)).toBe(expected);
  });
});
