package sqs

// batchErr is one failed entry of a batch.
type batchErr struct {
	ID          string `json:"Id" xml:"Id"`
	SenderFault bool   `xml:"SenderFault"`
	Code        string `xml:"Code"`
	Message     string `xml:"Message"`
}

func entryError(id string, err error) batchErr {
	e := apiError(err)
	return batchErr{ID: id, SenderFault: e.Status < 500, Code: queryCode(e.Type), Message: e.Message}
}

type idOut struct {
	ID string `json:"Id" xml:"Id"`
}

// maxBatchBytes bounds the messages of one SendMessageBatch together.
const maxBatchBytes = maxMessageSize

// checkEntryIDs validates a batch's entry ids: 1 to 10 entries, each id
// 1 to 80 letters, digits, - and _, no two alike.
func checkEntryIDs(ids []string) error {
	if len(ids) == 0 {
		return sqsErr(codeEmptyBatch, "There should be at least one entry in the request (Entries).")
	}
	if len(ids) > 10 {
		return sqsErr(codeTooManyEntries, "Maximum number of entries per request are 10. You have sent %d.", len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" || len(id) > 80 {
			return sqsErr(codeInvalidBatchID, "A batch entry id %q is not valid: it has 1 to 80 letters, digits, hyphens and underscores.", clip(id))
		}
		for _, r := range id {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return sqsErr(codeInvalidBatchID, "A batch entry id %q is not valid: it can only contain letters, digits, hyphens and underscores.", clip(id))
			}
		}
		if seen[id] {
			return sqsErr(codeNotDistinct, "Id %s repeated: the entries of a batch need distinct ids.", id)
		}
		seen[id] = true
	}
	return nil
}

type sendBatchOut struct {
	Successful []sendOut  `xml:"SendMessageBatchResultEntry"`
	Failed     []batchErr `xml:"BatchResultErrorEntry"`
}

func (a *API) sendMessageBatch(c *call) (any, error) {
	var in struct {
		QueueURL string `json:"QueueUrl"`
		Entries  []sendIn
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	total := 0
	for i, e := range in.Entries {
		ids[i] = e.ID
		if e.MessageBody != nil {
			total += len(*e.MessageBody)
		}
	}
	if err := checkEntryIDs(ids); err != nil {
		return nil, err
	}
	if total > maxBatchBytes {
		return nil, sqsErr(codeBatchTooLong, "Batch requests cannot be longer than %d bytes; this one's messages have %d.", maxBatchBytes, total)
	}
	cfg, err := a.q.Get(c.ctx, id)
	if err != nil {
		return nil, found(err, in.QueueURL)
	}
	out := sendBatchOut{Successful: []sendOut{}, Failed: []batchErr{}}
	for _, e := range in.Entries {
		msg, res, err := prepare(c, cfg, e)
		if err == nil {
			res, err = a.store(c, id, cfg, msg, res, in.QueueURL)
		}
		if err != nil {
			if apiError(err).Type == codeNonExistentQueue { // deleted meanwhile: the whole batch fails
				return nil, err
			}
			out.Failed = append(out.Failed, entryError(e.ID, err))
			continue
		}
		res.ID = e.ID
		out.Successful = append(out.Successful, res)
	}
	return out, nil
}

type deleteBatchOut struct {
	Successful []idOut    `xml:"DeleteMessageBatchResultEntry"`
	Failed     []batchErr `xml:"BatchResultErrorEntry"`
}

type handleEntry struct {
	ID                string `json:"Id"`
	ReceiptHandle     string
	VisibilityTimeout *int
}

func (a *API) deleteMessageBatch(c *call) (any, error) {
	var in struct {
		QueueURL string `json:"QueueUrl"`
		Entries  []handleEntry
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := checkEntries(in.Entries); err != nil {
		return nil, err
	}
	if _, err := a.q.Get(c.ctx, id); err != nil {
		return nil, found(err, in.QueueURL)
	}
	out := deleteBatchOut{Successful: []idOut{}, Failed: []batchErr{}}
	for _, e := range in.Entries {
		if err := a.settle(c, id, e.ReceiptHandle, nil); err != nil {
			out.Failed = append(out.Failed, entryError(e.ID, err))
			continue
		}
		out.Successful = append(out.Successful, idOut{e.ID})
	}
	return out, nil
}

type changeBatchOut struct {
	Successful []idOut    `xml:"ChangeMessageVisibilityBatchResultEntry"`
	Failed     []batchErr `xml:"BatchResultErrorEntry"`
}

func (a *API) changeVisibilityBatch(c *call) (any, error) {
	var in struct {
		QueueURL string `json:"QueueUrl"`
		Entries  []handleEntry
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := checkEntries(in.Entries); err != nil {
		return nil, err
	}
	if _, err := a.q.Get(c.ctx, id); err != nil {
		return nil, found(err, in.QueueURL)
	}
	out := changeBatchOut{Successful: []idOut{}, Failed: []batchErr{}}
	for _, e := range in.Entries {
		err := checkVisibility(e.VisibilityTimeout)
		if err == nil {
			err = a.settle(c, id, e.ReceiptHandle, e.VisibilityTimeout)
		}
		if err != nil {
			out.Failed = append(out.Failed, entryError(e.ID, err))
			continue
		}
		out.Successful = append(out.Successful, idOut{e.ID})
	}
	return out, nil
}

func checkEntries(entries []handleEntry) error {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	return checkEntryIDs(ids)
}
