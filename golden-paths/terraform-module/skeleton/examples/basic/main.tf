module "bucket" {
  source      = "../.."
  name        = "${{ values.team }}-${{ values.name }}-dev"
  environment = "dev"
}
