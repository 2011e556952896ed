# High availability (var.ha): landq's state moves from each instance's SQLite file to one
# Cloud SQL for PostgreSQL 15 instance with a synchronous standby in another zone
# (availability_type REGIONAL) reached only over a private IP, and App Engine runs
# var.instances instances of landq on it. Any instance acknowledges webhooks; one instance at
# a time lands each base branch, by lease with fencing tokens (docs/deploy.md, "The HA layout").

locals {
  # The password is not in the URL: the entrypoint writes it to a libpq password file
  # (PGPASSFILE) from Secret Manager. sslmode=require: Cloud SQL's private IP is still a network.
  ha_env = var.ha ? {
    LANDQ_DB                      = "postgresql://landq@${google_sql_database_instance.landq[0].private_ip_address}:5432/landq?sslmode=require&target_session_attrs=read-write"
    LANDQ_SECRET_DB_PASSWORD_NAME = google_secret_manager_secret.db_password[0].secret_id
  } : {}
}

resource "google_compute_network" "landq" {
  count                   = var.ha ? 1 : 0
  name                    = "landq"
  auto_create_subnetworks = true
  depends_on              = [google_project_service.services]
}

# Private services access: a range of the VPC peered with Google's service producer network,
# where Cloud SQL places the instance's private IP.
resource "google_compute_global_address" "sql_peering" {
  count         = var.ha ? 1 : 0
  name          = "landq-sql-peering"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 20
  network       = google_compute_network.landq[0].id
}

resource "google_service_networking_connection" "sql" {
  count                   = var.ha ? 1 : 0
  network                 = google_compute_network.landq[0].id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.sql_peering[0].name]
}

resource "google_sql_database_instance" "landq" {
  count               = var.ha ? 1 : 0
  name                = "landq"
  database_version    = "POSTGRES_15"
  region              = var.region
  deletion_protection = var.db_deletion_protection

  settings {
    tier = var.db_tier
    # A standby in a second zone, replicated synchronously: a 202 that landq sent after its
    # commit survives the loss of the primary's zone.
    availability_type = "REGIONAL"
    disk_autoresize   = true

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }

    ip_configuration {
      ipv4_enabled    = false
      private_network = google_compute_network.landq[0].id
      ssl_mode        = "ENCRYPTED_ONLY"
    }

    # Each landq instance holds a handful of connections (intake, landing, leases); keep
    # synchronous_commit on (the default): a 202 promises a durable commit.
    database_flags {
      name  = "max_connections"
      value = "100"
    }
  }

  depends_on = [google_service_networking_connection.sql]
}

resource "google_sql_database" "landq" {
  count    = var.ha ? 1 : 0
  name     = "landq"
  instance = google_sql_database_instance.landq[0].name
}

resource "random_password" "db" {
  count   = var.ha ? 1 : 0
  length  = 32
  special = false
}

resource "google_sql_user" "landq" {
  count    = var.ha ? 1 : 0
  name     = "landq"
  instance = google_sql_database_instance.landq[0].name
  password = random_password.db[0].result
}

resource "google_secret_manager_secret" "db_password" {
  count     = var.ha ? 1 : 0
  secret_id = "landq-db-password"
  replication {
    auto {}
  }
  depends_on = [google_project_service.services]
}

resource "google_secret_manager_secret_version" "db_password" {
  count       = var.ha ? 1 : 0
  secret      = google_secret_manager_secret.db_password[0].id
  secret_data = random_password.db[0].result
}
