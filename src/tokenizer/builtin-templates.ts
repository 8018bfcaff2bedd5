/**
 * A few standard chat templates, for models whose folder has none (`--chat-template NAME`). Each follows the
 * format its model family documents; the special-token strings must exist in the tokenizer for the turn
 * markers to become single tokens.
 */
export const BUILTIN_TEMPLATES: Record<string, string> = {
  chatml:
    "{%- for message in messages -%}" +
    "{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}" +
    "{%- endfor -%}" +
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}",

  llama3:
    "{{ bos_token }}" +
    "{%- for message in messages -%}" +
    "{{ '<|start_header_id|>' + message.role + '<|end_header_id|>\\n\\n' + (message.content | trim) + '<|eot_id|>' }}" +
    "{%- endfor -%}" +
    "{%- if add_generation_prompt -%}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif -%}",

  // Llama 2 chat: the system prompt sits inside the first [INST] block; every exchange is <s>[INST] … [/INST] … </s>.
  llama2:
    "{%- if messages[0].role == 'system' -%}" +
    "{%- set system = '<<SYS>>\\n' + messages[0].content + '\\n<</SYS>>\\n\\n' -%}{%- set rest = messages[1:] -%}" +
    "{%- else -%}{%- set system = '' -%}{%- set rest = messages -%}{%- endif -%}" +
    "{%- for message in rest -%}" +
    "{%- if (message.role == 'user') != (loop.index0 % 2 == 0) -%}" +
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}" +
    "{%- endif -%}" +
    "{%- if message.role == 'user' -%}" +
    "{{ bos_token + '[INST] ' + (system if loop.first else '') + (message.content | trim) + ' [/INST]' }}" +
    "{%- else -%}{{ ' ' + (message.content | trim) + ' ' + eos_token }}{%- endif -%}" +
    "{%- endfor -%}",

  // Mistral instruct (v0.1 style): one BOS, [INST] … [/INST] answer</s>; the system prompt joins the first user turn.
  mistral:
    "{{ bos_token }}" +
    "{%- if messages[0].role == 'system' -%}" +
    "{%- set system = messages[0].content + '\\n\\n' -%}{%- set rest = messages[1:] -%}" +
    "{%- else -%}{%- set system = '' -%}{%- set rest = messages -%}{%- endif -%}" +
    "{%- for message in rest -%}" +
    "{%- if (message.role == 'user') != (loop.index0 % 2 == 0) -%}" +
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}" +
    "{%- endif -%}" +
    "{%- if message.role == 'user' -%}" +
    "{{ '[INST] ' + (system if loop.first else '') + (message.content | trim) + ' [/INST]' }}" +
    "{%- else -%}{{ (message.content | trim) + eos_token }}{%- endif -%}" +
    "{%- endfor -%}",

  // Gemma: assistant is called "model"; the system prompt is prepended to the first user turn.
  gemma:
    "{{ bos_token }}" +
    "{%- if messages[0].role == 'system' -%}" +
    "{%- set system = messages[0].content + '\\n\\n' -%}{%- set rest = messages[1:] -%}" +
    "{%- else -%}{%- set system = '' -%}{%- set rest = messages -%}{%- endif -%}" +
    "{%- for message in rest -%}" +
    "{%- set role = 'model' if message.role == 'assistant' else message.role -%}" +
    "{{ '<start_of_turn>' + role + '\\n' + (system if loop.first else '') + (message.content | trim) + '<end_of_turn>\\n' }}" +
    "{%- endfor -%}" +
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}",
};
