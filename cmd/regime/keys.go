package main

import (
	"crypto/rand"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/regime-engine/regime"
)

type keysCmd struct {
	Create keysCreateCmd `cmd:"" help:"Create an API key; the token is printed once and only its hash is stored."`
	List   keysListCmd   `cmd:"" help:"List API keys (id, name, scopes, created, revoked); never the tokens."`
	Revoke keysRevokeCmd `cmd:"" help:"Revoke an API key by id; the server stops accepting it within --key-cache-ttl."`
}

type keysCreateCmd struct {
	Name   string `help:"Label of the key (who or what uses it)."`
	Scopes string `default:"read" help:"Comma-separated scopes: read, jobs, admin (admin implies the others)."`
	JSON   bool   `name:"json" help:"Machine-readable output."`
}

func (c keysCreateCmd) Help() string {
	return "Example:\n  regime keys create --name dashboard --scopes read\n  regime keys create --name ci --scopes read,jobs --json"
}

func (c keysCreateCmd) Run(g *globals) error {
	scopes, err := regime.ParseScopes(c.Scopes)
	if err != nil {
		return fmt.Errorf("--scopes: %w", err)
	}
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	k, token, err := regime.NewAPIKey(rand.Reader, c.Name, scopes, time.Now())
	if err != nil {
		return err
	}
	if err := st.CreateKey(g.ctx, k); err != nil {
		return err
	}
	if c.JSON {
		return writeJSON(g.stdout, map[string]any{"id": k.ID, "name": k.Name, "scopes": k.Scopes, "token": token})
	}
	_, err = fmt.Fprintf(g.stdout, "created key %s (scopes %s)\nstore this token now, it is not shown again:\n%s\n",
		k.ID, scopeList(k.Scopes), token)
	return err
}

type keysListCmd struct {
	JSON bool `name:"json" help:"Machine-readable output."`
}

func (c keysListCmd) Run(g *globals) error {
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	keys, err := st.ListKeys(g.ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		type row struct {
			ID      string         `json:"id"`
			Name    string         `json:"name"`
			Scopes  []regime.Scope `json:"scopes"`
			Created time.Time      `json:"created"`
			Revoked *time.Time     `json:"revoked,omitempty"`
		}
		out := make([]row, len(keys))
		for i, k := range keys {
			out[i] = row{ID: k.ID, Name: k.Name, Scopes: k.Scopes, Created: k.CreatedAt}
			if k.Revoked() {
				r := k.RevokedAt
				out[i].Revoked = &r
			}
		}
		return writeJSON(g.stdout, out)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tREVOKED")
	for _, k := range keys {
		rev := "-"
		if k.Revoked() {
			rev = k.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, scopeList(k.Scopes), k.CreatedAt.Format(time.RFC3339), rev)
	}
	return tw.Flush()
}

type keysRevokeCmd struct {
	ID string `arg:"" help:"Key id (from regime keys list)."`
}

func (c keysRevokeCmd) Run(g *globals) error {
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RevokeKey(g.ctx, c.ID, time.Now()); err != nil {
		return err
	}
	_, err = fmt.Fprintf(g.stdout, "revoked key %s\n", c.ID)
	return err
}

func scopeList(s []regime.Scope) string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return strings.Join(out, ",")
}
