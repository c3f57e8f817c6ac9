# Conversion of the RSA keys that `gateway rsasigkey` prints (an Openswan secrets block body)
# into files for tools that read only standard key formats. Needs OpenSSL.

# rsa_key_field NAME BODY: prints field NAME of the secrets block body in file BODY, without 0x.
rsa_key_field() {
    sed -n "s/^[[:space:]]*$1: 0x//p" "$2"
}

# rsa_block_to_der BODY DER: writes the private key of the block body in file BODY as PKCS#1
# DER to file DER, and returns OpenSSL's status. OpenSSL encodes the key from the ASN.1
# description that it writes to DER.asn1.
rsa_block_to_der() {
    local body=$1 der=$2
    cat >"$der.asn1" <<ASN1
asn1=SEQUENCE:rsa_key
[rsa_key]
version=INTEGER:0
modulus=INTEGER:0x$(rsa_key_field Modulus "$body")
publicExponent=INTEGER:0x$(rsa_key_field PublicExponent "$body")
privateExponent=INTEGER:0x$(rsa_key_field PrivateExponent "$body")
prime1=INTEGER:0x$(rsa_key_field Prime1 "$body")
prime2=INTEGER:0x$(rsa_key_field Prime2 "$body")
exponent1=INTEGER:0x$(rsa_key_field Exponent1 "$body")
exponent2=INTEGER:0x$(rsa_key_field Exponent2 "$body")
coefficient=INTEGER:0x$(rsa_key_field Coefficient "$body")
ASN1
    openssl asn1parse -genconf "$der.asn1" -out "$der" -noout >/dev/null
}
