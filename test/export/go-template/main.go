// Renders Ollama TEMPLATEs the way Ollama v0.17.x does for /api/chat, for loraforge's parity tests.
//
// stdin:  {"template": "...", "cases": [{"messages": [{"role": "...", "content": "..."}], "system": "..."}]}
// stdout: a JSON array with one {"prompt": "..."} or {"error": "..."} per case.
//
// What it mirrors (docs/formats/ollama.md, "How Ollama renders a TEMPLATE"): the template is parsed with
// missingkey=zero and Ollama's helper functions; a Modelfile SYSTEM is put in front when the conversation does not
// open with a system message; consecutive messages of one role (tool excepted) are merged with a blank line;
// .System is every system message joined by a blank line; the template executes once over
// {System, Messages, Tools, Response: "", Think, ThinkLevel, IsThinkSet}. Only the .Messages path is implemented:
// a template that does not mention Messages is refused, since Ollama would render it turn by turn instead.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// templateMessage has the fields Ollama's template messages expose.
type templateMessage struct {
	Role       string
	Content    string
	Thinking   string
	Images     []any
	ToolCalls  []any
	ToolName   string
	ToolCallID string
}

type renderCase struct {
	Messages []message `json:"messages"`
	System   string    `json:"system"`
}

type request struct {
	Template string       `json:"template"`
	Cases    []renderCase `json:"cases"`
}

type result struct {
	Prompt *string `json:"prompt,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// Helper functions Ollama registers for templates (toTypeScriptType is left out: it needs Ollama's tool types).
var funcs = template.FuncMap{
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	"currentDate":   func(...string) string { return time.Now().Format("2006-01-02") },
	"yesterdayDate": func(...string) string { return time.Now().AddDate(0, 0, -1).Format("2006-01-02") },
}

// mentions reports whether any field or variable in the tree is named `name` (case-insensitive, as Ollama checks).
func mentions(node parse.Node, name string) bool {
	found := false
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		if found || n == nil {
			return
		}
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.TemplateNode:
			walk(n.Pipe)
		case *parse.IfNode:
			walk(&n.BranchNode)
		case *parse.RangeNode:
			walk(&n.BranchNode)
		case *parse.WithNode:
			walk(&n.BranchNode)
		case *parse.BranchNode:
			walk(n.Pipe)
			walk(n.List)
			if n.ElseList != nil {
				walk(n.ElseList)
			}
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				for _, a := range c.Args {
					walk(a)
				}
			}
		case *parse.FieldNode:
			found = containsFold(n.Ident, name)
		case *parse.VariableNode:
			found = containsFold(n.Ident, name)
		}
	}
	walk(node)
	return found
}

func containsFold(idents []string, name string) bool {
	for _, id := range idents {
		if strings.EqualFold(id, name) {
			return true
		}
	}
	return false
}

// conversation applies what Ollama does to a chat request before rendering: the Modelfile SYSTEM, then merging.
func conversation(c renderCase) (string, []*templateMessage) {
	msgs := c.Messages
	if c.System != "" && (len(msgs) == 0 || msgs[0].Role != "system") {
		msgs = append([]message{{Role: "system", Content: c.System}}, msgs...)
	}
	var systems []string
	var merged []*templateMessage
	for _, m := range msgs {
		if m.Role == "system" {
			systems = append(systems, m.Content)
		}
		if n := len(merged); n > 0 && merged[n-1].Role == m.Role && m.Role != "tool" {
			merged[n-1].Content += "\n\n" + m.Content
			continue
		}
		merged = append(merged, &templateMessage{Role: m.Role, Content: m.Content})
	}
	return strings.Join(systems, "\n\n"), merged
}

func render(tmpl *template.Template, c renderCase) (string, error) {
	system, messages := conversation(c)
	var b strings.Builder
	err := tmpl.Execute(&b, map[string]any{
		"System":     system,
		"Messages":   messages,
		"Tools":      []any(nil),
		"Response":   "",
		"Think":      false,
		"ThinkLevel": "",
		"IsThinkSet": false,
	})
	return b.String(), err
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "render: bad request:", err)
		os.Exit(2)
	}
	tmpl, err := template.New("").Option("missingkey=zero").Funcs(funcs).Parse(req.Template)
	if err != nil {
		fmt.Fprintln(os.Stderr, "render: template does not parse:", err)
		os.Exit(3)
	}
	if !mentions(tmpl.Tree.Root, "messages") {
		fmt.Fprintln(os.Stderr, "render: the template does not use .Messages; only Ollama's .Messages path is implemented")
		os.Exit(4)
	}
	results := make([]result, len(req.Cases))
	for i, c := range req.Cases {
		prompt, err := render(tmpl, c)
		if err != nil {
			results[i] = result{Error: err.Error()}
		} else {
			results[i] = result{Prompt: &prompt}
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(5)
	}
}
