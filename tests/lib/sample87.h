/* Provisioning sample data, as hex strings (copy-exact), for the unit tests.
 *
 * Source: Mesh Profile 1.0.1 §8.7 sample data (PB-ADV provisioning with
 * BTM_ECDH_P256_CMAC_AES128_AES_CCM), as transcribed and recomputed in
 * /work/shared/vectors/mesh-provisioning.md §2 (keys, PDUs, session) and §2a
 * (PB-ADV frames), and the Mesh Protocol 1.1 BTM_ECDH_P256_HMAC_SHA256_AES_CCM
 * sample of the same document's §3 (the H_ values).
 *
 * Parameters are given without the PDU type octet; the PDU_ values are whole
 * Provisioning PDUs (type octet first), the F_ values whole PB-ADV frames
 * (LinkID, transaction number, Generic Provisioning PDU; spaces for reading). */
#ifndef MESHPROV_TEST_SAMPLE87_H
#define MESHPROV_TEST_SAMPLE87_H

/* ---- §2: keys and randoms ---- */

#define PROV_PRIV "06a516693c9aa31a6084545d0c5db641b48572b97203ddffb7ac73f7d0457663"
#define PROV_PUB                                                           \
	"2c31a47b5779809ef44cb5eaaf5c3e43d5f8faad4a8794cb987e9b03745c78dd" \
	"919512183898dfbecd52e2408e43871fd021109117bd3ed4eaf8437743715d4f"
#define DEV_PRIV "529aa0670d72cd6497502ed473502b037e8803b5c60829a5a3caa219505530ba"
#define DEV_PUB                                                            \
	"f465e43ff23d3f1b9dc7dfc04da8758184dbc966204796eccf0d6cf5e16500cc" \
	"0201d048bcbbd899eeefc424164e33c201c2b010ca6b4d43a8a155cad8ecb279"
#define ECDH_SECRET "ab85843a2f6d883f62e5684b38e307335fe6e1945ecd19604105c6f23221eb69"
#define RAND_P "8b19ac31d58b124c946209b5db1021b9"
#define RAND_D "55a2a2bca04cd32ff6f346bd0a0c1a3a"

/* ---- §2: parameters, confirmations, session ---- */

#define UUID "70cf7c9732a345b691494810d2e9cbf4"
#define CAPS "0100010000000000000000" /* 1 element, CMAC, no OOB */
#define START "0000000000"            /* CMAC, no OOB public key, No OOB */
#define CONF_P "b38a114dfdca1fe153bd2c1e0dc46ac2"
#define CONF_D "eeba521c196b52cc2e37aa40329f554e"
/* ConfirmationInputs: Invite || Capabilities || Start parameters || PROV_PUB || DEV_PUB */
#define CONF_INPUTS                                                        \
	"00010001000000000000000000000000002c31a47b5779809ef44cb5eaaf5c3e" \
	"43d5f8faad4a8794cb987e9b03745c78dd919512183898dfbecd52e2408e4387" \
	"1fd021109117bd3ed4eaf8437743715d4ff465e43ff23d3f1b9dc7dfc04da875" \
	"8184dbc966204796eccf0d6cf5e16500cc0201d048bcbbd899eeefc424164e33" \
	"c201c2b010ca6b4d43a8a155cad8ecb279"
#define SESSION_KEY "c80253af86b33dfa450bbdb2a191fea3"
#define SESSION_NONCE "da7ddbe78b5f62b81d6847487e"
#define DEVICE_KEY "0520adad5e0142aa3e325087b4ec16d8"
/* Provisioning Data: NetKey, index 0567, flags 00, IV Index 01020304, unicast 0b0c */
#define NET_KEY "efb2255e6422d330088e09bb015ed707"
#define DATA_PLAIN NET_KEY "056700010203040b0c"
#define DATA_ENC "d0bd7f4a89a2ff6222af59a90a60ad58acfe3123356f5cec29"
#define DATA_MIC "73e0ec50783b10c7"

/* ---- §2: Provisioning PDUs ---- */

#define PDU_INVITE "0000"
#define PDU_CAPS "01" CAPS
#define PDU_START "02" START
#define PDU_PUBKEY_P "03" PROV_PUB
#define PDU_PUBKEY_D "03" DEV_PUB
#define PDU_CONF_P "05" CONF_P
#define PDU_CONF_D "05" CONF_D
#define PDU_RAND_P "06" RAND_P
#define PDU_RAND_D "06" RAND_D
#define PDU_DATA "07" DATA_ENC DATA_MIC
#define PDU_COMPLETE "08"

/* ---- §2a: the same session in PB-ADV frames, LinkID 23af5850 ---- */

#define LINK_ID 0x23af5850u

#define F_LINK_OPEN "23af5850 00 03 70cf7c9732a345b691494810d2e9cbf4"
#define F_LINK_ACK "23af5850 00 07"
#define F_LINK_CLOSE "23af5850 00 0b 00" /* reason Success */

#define F_INVITE "23af5850 00 00 0002 14 0000"
#define F_INVITE_ACK "23af5850 00 01"
#define F_CAPS "23af5850 80 00 000c d6 010100010000000000000000"
#define F_CAPS_ACK "23af5850 80 01"
#define F_START "23af5850 01 00 0006 64 020000000000"
#define F_START_ACK "23af5850 01 01"
#define F_PUBP0 "23af585002080041d1032c31a47b5779809ef44cb5eaaf5c3e43d5f8fa"
#define F_PUBP1 "23af58500206ad4a8794cb987e9b03745c78dd919512183898dfbecd52"
#define F_PUBP2 "23af5850020ae2408e43871fd021109117bd3ed4eaf8437743715d4f"
#define F_PUBP_ACK "23af58500201"
#define F_PUBD0 "23af5850810800411003f465e43ff23d3f1b9dc7dfc04da8758184dbc9"
#define F_PUBD1 "23af5850810666204796eccf0d6cf5e16500cc0201d048bcbbd899eeef"
#define F_PUBD2 "23af5850810ac424164e33c201c2b010ca6b4d43a8a155cad8ecb279"
#define F_PUBD_ACK "23af58508101"
#define F_CONFP "23af585003000011d105b38a114dfdca1fe153bd2c1e0dc46ac2"
#define F_CONFP_ACK "23af58500301"
#define F_CONFD "23af585082000011ec05eeba521c196b52cc2e37aa40329f554e"
#define F_CONFD_ACK "23af58508201"
#define F_RANDP "23af585004000011d3068b19ac31d58b124c946209b5db1021b9"
#define F_RANDP_ACK "23af58500401"
#define F_RANDD "23af585083000011590655a2a2bca04cd32ff6f346bd0a0c1a3a"
#define F_RANDD_ACK "23af58508301"
#define F_DATA0 "23af5850050400228b07d0bd7f4a89a2ff6222af59a90a60ad58acfe31"
#define F_DATA1 "23af5850050623356f5cec2973e0ec50783b10c7"
#define F_DATA_ACK "23af58500501"
#define F_COMPLETE "23af5850840000013e08"
#define F_COMPLETE_ACK "23af58508401"

/* ---- §3: HMAC-SHA256 with a 32-octet static OOB value (same keys and ECDHSecret) ---- */

#define H_CAPS "0100030001000000000000" /* CMAC and HMAC, static OOB */
#define H_START "0100010000"            /* HMAC, no OOB public key, static OOB */
#define H_RAND_P "36f968b94a13000e64b223576390db6bcc6d62f02617c369ee3f5b3e89df7e1f"
#define H_RAND_D "5b9b1fc6a64b2de8bece53187ee989c6566db1fc7dc8580a73dafdd6211d56a5"
#define H_AUTH "906d73a3c7a7cb3ff730dca68a46b9c18d673f50e078202311473ebbe253669f"
#define H_CONF_P "c99b54617ae646f5f32cf7e1ea6fcc49fd69066078eba9580fa6c7031833e6c8"
#define H_CONF_D "56e3722d291373d38c995d6f942c02928c96abb015c233557d7974b6e2df662b"
#define H_DEVICE_KEY "2770852a737cf05d8813768f22af3a2d"
#define H_DATA_ENC "f9df98cbb736be1f600659ac4c37821a82db31e410a03de769"
#define H_DATA_MIC "3a2a0428fbdaf321"
#define H_DATA "07" H_DATA_ENC H_DATA_MIC /* the Provisioning Data PDU */

#endif
