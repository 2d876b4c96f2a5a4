"""End-to-end encryption support on the server: a key directory per device, to-device
queues, device-list notices and an encrypted key backup. The server never sees a key
that decrypts anything: it stores and relays what clients sign and encrypt."""
