package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/config"
)

// The topic commands speak SNS's own API on the server's one AWS endpoint,
// signed with an access key pair: $AWS_ACCESS_KEY_ID and
// $AWS_SECRET_ACCESS_KEY, else the admin.credentials file in the data
// directory (as the API key is found).

func newTopicCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Manage SNS-compatible topics: create, ls, subscribe, publish, rm",
		Long: `Topics fan a published message out to every subscriber whose filter policy
matches: SQS queues, functions (invoked asynchronously) and HTTP/S endpoints
on this machine. The commands use the SNS API on the server's endpoint, so the
aws CLI and any AWS SDK see the same topics. They sign with an access key pair:
$AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY, else the admin.credentials file
in the server's data directory. TOPIC is a topic's name or ARN.`,
		Example: `  updraft topic create orders
  updraft topic subscribe orders --protocol sqs --endpoint arn:aws:sqs:local:123456789012:jobs \
      --filter-policy '{"kind":["order"]}' --raw
  updraft topic subscribe orders --protocol lambda --endpoint arn:aws:lambda:local:123456789012:function:ship
  updraft topic publish orders '{"id":7}' --subject new --attr kind=order --attr qty:Number=3
  updraft topic ls --output json
  updraft topic rm orders`,
	}
	cmd.AddCommand(newTopicCreateCmd(a), newTopicLsCmd(a), newTopicSubscribeCmd(a), newTopicPublishCmd(a), newTopicRmCmd(a))
	return cmd
}

// snsClient is an SNS client for the endpoint, signed with the resolved key pair.
func (a *app) snsClient() (*sns.Client, error) {
	id, secret := a.getenv("AWS_ACCESS_KEY_ID"), a.getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		path := config.Default().FromEnv(a.getenv).AdminCredentialsPath()
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("no access key pair: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (\"updraft keys create\" makes a pair), "+
				"or run where the server's data directory is (UPDRAFT_DATA_DIR): %w", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			k, v, _ := strings.Cut(line, "=")
			switch strings.TrimSpace(k) {
			case "aws_access_key_id":
				id = strings.TrimSpace(v)
			case "aws_secret_access_key":
				secret = strings.TrimSpace(v)
			}
		}
		if id == "" || secret == "" {
			return nil, fmt.Errorf("%s holds no aws_access_key_id and aws_secret_access_key", path)
		}
	}
	return sns.New(sns.Options{
		Region: "local", BaseEndpoint: aws.String(a.endpointURL()), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
	}), nil
}

// topicARN resolves a topic name (or passes an ARN through).
func topicARN(ctx context.Context, c *sns.Client, topic string) (string, error) {
	if strings.HasPrefix(topic, "arn:") {
		return topic, nil
	}
	arns, err := listTopics(ctx, c)
	if err != nil {
		return "", err
	}
	for _, arn := range arns {
		if strings.HasSuffix(arn, ":"+topic) {
			return arn, nil
		}
	}
	return "", fmt.Errorf("no topic named %q: create it with \"updraft topic create %s\", or list them with \"updraft topic ls\"", topic, topic)
}

func listTopics(ctx context.Context, c *sns.Client) ([]string, error) {
	var out []string
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Topics {
			out = append(out, aws.ToString(t.TopicArn))
		}
	}
	return out, nil
}

// keyValues parses repeated K=V flags.
func keyValues(flag string, list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--%s takes KEY=VALUE, not %q", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}

func (a *app) printResult(key, value string) error {
	if a.jsonOutput() {
		return a.printJSON(map[string]string{key: value})
	}
	_, err := fmt.Fprintln(a.stdout, value)
	return err
}

func newTopicCreateCmd(a *app) *cobra.Command {
	var attrs []string
	cmd := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a topic (again: no change) and print its ARN",
		Example: "  updraft topic create orders\n  updraft topic create ledger.fifo --attr FifoTopic=true --attr ContentBasedDeduplication=true",
		Args:    args("NAME"),
	}
	cmd.Flags().StringArrayVar(&attrs, "attr", nil, "topic attribute KEY=VALUE (DisplayName, FifoTopic, ContentBasedDeduplication, …); repeatable")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		m, err := keyValues("attr", attrs)
		if err != nil {
			return err
		}
		c, err := a.snsClient()
		if err != nil {
			return err
		}
		out, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(args[0]), Attributes: m})
		if err != nil {
			return err
		}
		return a.printResult("TopicArn", aws.ToString(out.TopicArn))
	})
	return cmd
}

func newTopicLsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls",
		Short:   "List topics and their subscribers",
		Example: "  updraft topic ls\n  updraft topic ls --output json",
		Args:    args(),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.snsClient()
		if err != nil {
			return err
		}
		arns, err := listTopics(ctx, c)
		if err != nil {
			return err
		}
		type row struct {
			TopicArn      string               `json:"TopicArn"`
			Subscriptions []types.Subscription `json:"Subscriptions"`
		}
		rows := []row{}
		for _, arn := range arns {
			subs, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
			if err != nil {
				return err
			}
			rows = append(rows, row{arn, subs.Subscriptions})
		}
		if a.jsonOutput() {
			return a.printJSON(rows)
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TOPIC\tPROTOCOL\tENDPOINT")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t\t\n", r.TopicArn)
			for _, s := range r.Subscriptions {
				fmt.Fprintf(tw, "\t%s\t%s\n", aws.ToString(s.Protocol), aws.ToString(s.Endpoint))
			}
		}
		return tw.Flush()
	})
	return cmd
}

func newTopicSubscribeCmd(a *app) *cobra.Command {
	var protocol, endpoint, filter, scope string
	var raw bool
	cmd := &cobra.Command{
		Use:   "subscribe TOPIC --protocol sqs|lambda|http|https --endpoint X",
		Short: "Subscribe a queue, a function or an HTTP/S endpoint to a topic",
		Long: `Subscribe a queue (--endpoint its ARN), a function (its ARN) or an HTTP/S URL
on this machine. An HTTP/S endpoint is sent a SubscriptionConfirmation message
and receives nothing until it visits the SubscribeURL or calls
ConfirmSubscription with the token.`,
		Example: `  updraft topic subscribe orders --protocol sqs --endpoint arn:aws:sqs:local:123456789012:jobs --raw
  updraft topic subscribe orders --protocol lambda --endpoint arn:aws:lambda:local:123456789012:function:ship \
      --filter-policy '{"qty":[{"numeric":[">",2]}]}'`,
		Args: args("TOPIC"),
	}
	f := cmd.Flags()
	f.StringVar(&protocol, "protocol", "", "sqs, lambda, http or https (required)")
	f.StringVar(&endpoint, "endpoint", "", "queue ARN, function ARN or URL (required)")
	f.StringVar(&filter, "filter-policy", "", "SNS filter policy (JSON)")
	f.StringVar(&scope, "filter-policy-scope", "", "MessageAttributes (default) or MessageBody")
	f.BoolVar(&raw, "raw", false, "raw message delivery: the message itself instead of SNS's JSON envelope")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if protocol == "" || endpoint == "" {
			return usagef("--protocol and --endpoint are required")
		}
		attrs := map[string]string{}
		if filter != "" {
			attrs["FilterPolicy"] = filter
		}
		if scope != "" {
			attrs["FilterPolicyScope"] = scope
		}
		if raw {
			attrs["RawMessageDelivery"] = "true"
		}
		c, err := a.snsClient()
		if err != nil {
			return err
		}
		arn, err := topicARN(ctx, c, args[0])
		if err != nil {
			return err
		}
		out, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String(protocol),
			Endpoint: aws.String(endpoint), Attributes: attrs, ReturnSubscriptionArn: true})
		if err != nil {
			return err
		}
		return a.printResult("SubscriptionArn", aws.ToString(out.SubscriptionArn))
	})
	return cmd
}

func newTopicPublishCmd(a *app) *cobra.Command {
	var subject, group, dedup string
	var attrs []string
	cmd := &cobra.Command{
		Use:   "publish TOPIC MESSAGE",
		Short: "Publish a message to a topic and print its message id",
		Long: `Publish a message; it returns once every matching subscriber's copy is stored.
--attr KEY=VALUE adds a String attribute; KEY:TYPE=VALUE another type (Number,
String.Array as a JSON array).`,
		Example: `  updraft topic publish orders 'order 7 placed' --subject new --attr kind=order --attr qty:Number=3
  updraft topic publish ledger.fifo 'credit 5' --group acct-1`,
		Args: args("TOPIC", "MESSAGE"),
	}
	f := cmd.Flags()
	f.StringVar(&subject, "subject", "", "the message's subject")
	f.StringArrayVar(&attrs, "attr", nil, "message attribute KEY=VALUE or KEY:TYPE=VALUE; repeatable")
	f.StringVar(&group, "group", "", "message group id (FIFO topics)")
	f.StringVar(&dedup, "dedup-id", "", "de-duplication id (FIFO topics without content-based de-duplication)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		kv, err := keyValues("attr", attrs)
		if err != nil {
			return err
		}
		mattrs := map[string]types.MessageAttributeValue{}
		for k, v := range kv {
			name, typ, ok := strings.Cut(k, ":")
			if !ok {
				typ = "String"
			}
			mattrs[name] = types.MessageAttributeValue{DataType: aws.String(typ), StringValue: aws.String(v)}
		}
		c, err := a.snsClient()
		if err != nil {
			return err
		}
		arn, err := topicARN(ctx, c, args[0])
		if err != nil {
			return err
		}
		in := &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(args[1]), MessageAttributes: mattrs}
		in.Subject, in.MessageGroupId, in.MessageDeduplicationId = optional(subject), optional(group), optional(dedup)
		out, err := c.Publish(ctx, in)
		if err != nil {
			return err
		}
		return a.printResult("MessageId", aws.ToString(out.MessageId))
	})
	return cmd
}

func newTopicRmCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rm TOPIC",
		Short:   "Delete a topic and its subscriptions",
		Example: "  updraft topic rm orders",
		Args:    args("TOPIC"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.snsClient()
		if err != nil {
			return err
		}
		arn, err := topicARN(ctx, c, args[0])
		if err != nil {
			return err
		}
		if _, err := c.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(map[string]string{"deleted": arn})
		}
		_, err = fmt.Fprintf(a.stdout, "deleted %s\n", arn)
		return err
	})
	return cmd
}

// optional is nil for "", so an unset flag sends no parameter.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
