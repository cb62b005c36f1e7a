#!/bin/sh
# gammu-smsd RunOnReceive script: post each received SMS to Sispam's webhook and send its reply
# back to the sender (docs/field-app.md, "SMS when data fails").
#   /etc/gammu-smsdrc:  [smsd]  RunOnReceive = /usr/local/bin/sispam-sms-receive
#   environment (e.g. /etc/default/gammu-smsd): SISPAM_URL=https://sispam.polres.lan
#                                               SISPAM_SMS_SECRET=<SMS_WEBHOOK_SECRET>
# gammu-smsd sets SMS_MESSAGES and SMS_<n>_NUMBER / SMS_<n>_TEXT for each part received.
set -eu
i=1
while [ "$i" -le "${SMS_MESSAGES:-0}" ]; do
  number=$(eval echo "\${SMS_${i}_NUMBER}")
  text=$(eval echo "\${SMS_${i}_TEXT}")
  reply=$(curl -s --max-time 20 -H "X-Sispam-Secret: ${SISPAM_SMS_SECRET}" \
    --data-urlencode "from=${number}" --data-urlencode "text=${text}" \
    "${SISPAM_URL}/api/v1/sms/inbound/" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("reply",""))' || true)
  if [ -n "${reply}" ]; then
    gammu-smsd-inject TEXT "${number}" -text "${reply}" >/dev/null
  fi
  i=$((i + 1))
done
