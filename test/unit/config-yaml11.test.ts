/**
 * YAML 1.1 scalars read as LiteLLM (PyYAML 6) reads them. The expected values below were checked against
 * PyYAML 6.0.3 (`yaml.safe_load`), LiteLLM's loader; text fields keep the text as written.
 */
import assert from 'node:assert/strict';
import { parseConfigText, resolveConfig } from '../../src/gateway/config';

/** Parses `x: {v: <scalar>}` (a key the schema does not know: LiteLLM's reading applies). */
function scalar(src: string): unknown {
  return (parseConfigText(`x:\n  v: ${src}\n`, 's.yaml') as { x: { v: unknown } }).x.v;
}

describe('config YAML 1.1 scalars (LiteLLM reads config.yaml with PyYAML)', () => {
  it('reads numbers and booleans outside text fields exactly as PyYAML does', () => {
    const cases: [string, unknown][] = [
      ['20_000', 20000],
      ['0755', 493],
      ['1:30', 90],
      ['-1:30', -90],
      ['190:20:30.15', 685230.15],
      ['0b11', 3],
      ['0x_1F', 31],
      ['1_0.5', 10.5],
      ['.5', 0.5],
      ['1.5e+3', 1500],
      ['on', true],
      ['Off', false],
      ['yes', true],
      ['NO', false],
      // PyYAML reads these as strings, unlike the yaml library's own YAML 1.1 schema.
      ['1e3', '1e3'],
      ['1.5e3', '1.5e3'],
      ['0o755', '0o755'],
      ['09', '09'],
      ['0:30', '0:30'],
      ['y', 'y'],
      ['n', 'n'],
      // Same in both readings.
      ['true', true],
      ['42', 42],
      ['0.5', 0.5],
      ['"20_000"', '20_000'],
      ['2024-10-21', '2024-10-21'],
    ];
    for (const [src, want] of cases) assert.deepEqual(scalar(src), want, src);
  });

  it('uses LiteLLM’s value for numeric and boolean keys, with one warning per scalar naming both readings', () => {
    const warned: string[] = [];
    const raw = parseConfigText(
      [
        'model_list:',
        '  - model_name: m',
        '    litellm_params: { model: deepseek/x, tpm: 20_000, rpm: 0755, timeout: 1:30 }',
        '    model_info: { supports_vision: yes }',
        'litellm_settings: { drop_params: on, num_retries: 0b11 }',
      ].join('\n'),
      'c.yaml',
    );
    const c = resolveConfig(raw, { warn: (m) => warned.push(m), env: () => undefined });
    const d = c.deployments[0]!;
    assert.equal(d.tpm, 20000);
    assert.equal(d.rpm, 493);
    assert.equal(d.timeoutMs, 90_000);
    assert.equal(d.modelInfo.supportsVision, true);
    assert.equal(c.dropParams, true);
    assert.equal(c.router.numRetries, 3);
    assert.equal(warned.length, 6);
    assert.equal(
      warned[0],
      'model_list[0].litellm_params.tpm: 20_000 is read as 20000, as LiteLLM (PyYAML, YAML 1.1) reads it; YAML 1.2 tools read "20_000". Write 20000 to mean the same everywhere.',
    );
    assert.deepEqual(c.warnings.slice(0, 6), warned);
  });

  it('keeps the text as written in text fields (model names, versions, header values, map keys)', () => {
    const warned: string[] = [];
    const raw = parseConfigText(
      [
        'model_list:',
        '  - model_name: no',
        '    litellm_params:',
        '      model: azure/on',
        '      api_base: https://x.openai.azure.com',
        '      api_version: 1:30',
        '      extra_headers: { X-Flag: yes, on: off }',
        '  - model_name: 0755',
        '    litellm_params: { model: deepseek/y }',
        'router_settings:',
        '  fallbacks: [{ no: ["0755"] }]',
      ].join('\n'),
      'k.yaml',
    );
    const c = resolveConfig(raw, { warn: (m) => warned.push(m), env: () => undefined });
    assert.deepEqual([...c.groups.keys()], ['no', '0755']);
    const d = c.deployments[0]!;
    assert.equal(d.model, 'on');
    assert.equal(d.extraBody.api_version, '1:30');
    assert.deepEqual(d.extraHeaders, { 'X-Flag': 'yes', on: 'off' });
    assert.deepEqual(c.router.fallbacks, { no: ['0755'] });
    assert.ok(warned.includes('model_list[0].model_name: no is read as the text "no"; LiteLLM (PyYAML, YAML 1.1) reads it as false. Quote it ("no") so every tool reads the same.'), warned.join('\n'));
    assert.ok(warned.some((w) => w.startsWith('model_list[1].model_name: 0755 is read as the text "0755"')));
  });

  it('gives no warning for a config whose scalars read the same in YAML 1.1 and 1.2', () => {
    const warned: string[] = [];
    resolveConfig(parseConfigText('model_list:\n  - model_name: m\n    litellm_params: { model: deepseek/x, tpm: 20000, temperature: 0.2 }\n', 'q.yaml'), {
      warn: (m) => warned.push(m),
      env: () => undefined,
    });
    assert.deepEqual(warned, []);
  });

  it('never echoes a credential in a warning: api_key and master_key are named by path and type only', () => {
    const warned: string[] = [];
    const raw = parseConfigText(
      ['model_list:', '  - model_name: m', '    litellm_params: { model: deepseek/x, api_key: 0123456789 }', 'general_settings:', '  master_key: 1_234_567_890', ''].join('\n'),
      'k.yaml',
    );
    resolveConfig(raw, { warn: (m) => warned.push(m), env: () => undefined });
    // The values are kept as written (text fields), as before.
    assert.equal((raw as { general_settings: { master_key: unknown } }).general_settings.master_key, '1_234_567_890');
    assert.equal(warned.length, 2, warned.join('\n'));
    assert.ok(warned.some((w) => w.startsWith('model_list[0].litellm_params.api_key: the value is kept as the text you wrote')), warned.join('\n'));
    assert.ok(warned.some((w) => w.startsWith('general_settings.master_key: the value is kept as the text you wrote')), warned.join('\n'));
    for (const w of warned) assert.ok(!/0123456789|123456789|1_234_567_890|1234567890/.test(w), w);
  });
});
