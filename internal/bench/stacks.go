package bench

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/deploy"
)

// stackFigures times `updraft deploy --template` of the sam init hello
// world (a function, its REST route, an API), against deploying the same
// directory as one function in the same run: creating the stack, and
// redeploying it unchanged (the plan: keep all).
func stackFigures(ctx context.Context, w io.Writer, o Options, c *apiclient.Client) error {
	const runs = 10
	b, err := deploy.PackageTemplate(filepath.Join(o.Root, "examples", "sam-hello-world", "template.yaml"))
	if err != nil {
		return err
	}
	body := apiclient.StackBody{Template: string(b.Text), Code: b.Code}
	zip := b.Code["hello_world/"]
	if zip == nil {
		return fmt.Errorf("bench: the hello world's CodeUri is not hello_world/: %v", keys(b.Code))
	}
	var create, again, plain []time.Duration
	for i := range runs {
		name := fmt.Sprintf("bench-stack-%d", i)
		t0 := time.Now()
		if _, err := c.DeployStack(ctx, name, body); err != nil {
			return err
		}
		create = append(create, time.Since(t0))
		t0 = time.Now()
		if _, err := c.DeployStack(ctx, name, body); err != nil {
			return err
		}
		again = append(again, time.Since(t0))
		if err := c.DeleteStack(ctx, name); err != nil {
			return err
		}
		t0 = time.Now()
		if _, _, err := c.Deploy(ctx, apiclient.DeployRequest{Name: fmt.Sprintf("bench-plain-%d", i), Runtime: "python3.12", Handler: "app.lambda_handler", Zip: zip}); err != nil {
			return err
		}
		plain = append(plain, time.Since(t0))
	}
	base := ms(median(plain))
	Emit(w, Figure{Name: "stack_create_p50", Value: ms(median(create)), Unit: "ms", Baseline: base,
		Note: "deploy --template of sam init's hello world (plan, function, route, outputs) vs deploying its directory as one function, p50 of 10"})
	Emit(w, Figure{Name: "stack_redeploy_unchanged_p50", Value: ms(median(again)), Unit: "ms", Baseline: base,
		Note: "the same template again: every resource kept"})
	return nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
