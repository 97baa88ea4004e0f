"""hcpcs"""
