{#- A pre-hook for a model whose SQL holds very long expressions (the bootstrap's inverse CDFs):
    PostgreSQL's JIT compiles a query whose estimated cost passes jit_above_cost, and compiling
    those expressions took 65 s of a 65.3 s query on 960 rows (EXPLAIN ANALYZE: Optimization
    23 s, Emission 41 s). `set local` holds for the model's own transaction only. Other engines
    have nothing to turn off. -#}
{% macro without_jit() %}
    {{ return(adapter.dispatch('without_jit', 'vigie')()) }}
{% endmacro %}

{% macro default__without_jit() -%}
    select 1
{%- endmacro %}

{% macro postgres__without_jit() -%}
    set local jit = off
{%- endmacro %}
