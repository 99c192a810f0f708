"""An example downstream project: an inventory of running VMs fed by OpenNebula hook events."""
